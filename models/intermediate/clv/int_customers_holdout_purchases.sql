{#
    Purchases after as_of_date (the holdout period) of the customers known
    at as_of_date, counted like frequency: distinct purchase days. Only
    customers with at least one holdout purchase have a row.
#}
with later_orders as (
    select * from {{ ref('stg_shop__orders') }}
    where is_purchase and customer_id is not null and order_date > {{ as_of_date() }}
),

customers as (
    select * from {{ ref('int_customers_btyd_summarised') }}
),

final as (
    select
        later_orders.store_id,
        later_orders.customer_id,
        cast(count(distinct later_orders.order_date) as integer) as holdout_purchases
    from later_orders
    inner join customers
        on
            later_orders.store_id = customers.store_id
            and later_orders.customer_id = customers.customer_id
    group by later_orders.store_id, later_orders.customer_id
)

select * from final
