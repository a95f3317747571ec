{#
    Customer purchase months: one row per store x customer x calendar month
    in which the customer made a purchase (completed or refunded order) on
    or before as_of_date. The cohort and period marts count customers per
    month from these rows instead of from every order: a customer who buys
    three times in a month is one row, counted once.

    previous_purchase_month and next_purchase_month are the customer's
    purchase months before and after this one: a month is the customer's
    first purchase month of its quarter (or year) when the previous one
    lies in another quarter (year), so "customers with a purchase in the
    period" needs no distinct count, and the customer bought in another
    month of the same period when the next one lies in it.

    Customer-level state: it does not depend on as_of_date. Incremental
    (DuckDB), like int_customer_activity_spans: a build recomputes the rows
    of the customers in fct_orders' changelog since its last build only,
    and deletes those of customers left without a purchase.
#}
{{ config(**customer_state_config(incremental_inputs=['fct_orders', 'stg_shop__orders'])) }}

with orders as (
    select * from {{ ref('fct_orders') }}
),

{{ customer_state_purchases('orders', up_to_as_of_date=true) }},

-- industry_segment is the store's: grouped by, not aggregated (cheaper)
months as (
    select
        store_id,
        customer_id,
        order_month as purchase_month,
        industry_segment,
        min(cohort_month) as cohort_month,
        min(months_since_first_order) as months_since_first_order,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        count(*) as purchases,
        sum(net_revenue) as net_revenue,
        count(case when customer_order_number = 2 then 1 end) > 0 as has_second_purchase
    from purchases
    group by store_id, customer_id, order_month, industry_segment
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        cohort_month,
        purchase_month,
        lag(purchase_month) over customer_months as previous_purchase_month,
        lead(purchase_month) over customer_months as next_purchase_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        first_purchase_date,
        last_purchase_date,
        cast(purchases as integer) as purchases,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        has_second_purchase
    from months
    window customer_months as (partition by store_id, customer_id order by purchase_month)
)

select * from final
