{#
    One row per customer (store_id, customer_id) with at least one purchase
    on or before as_of_date: acquisition, activity and value to date.

    Customer-level state: it does not depend on as_of_date (fct_orders
    holds the orders up to it). Incremental (DuckDB): a build recomputes
    only the customers in fct_orders' changelog since its last build, and
    deletes those left without a purchase (macros/build_log/changelog.sql).

    Purchases on the same day collapse into one purchase day (the unit of
    the buy-till-you-die summary, int_customers_btyd_summarised). One pass
    over the purchases gives every column; only the customers with two
    purchases on one day (or local dates out of sequence, a clock set back
    across midnight) are grouped by day as well, on their own purchases
    (DECISIONLOG.md "Purchase days from fct_orders' sequence").
#}
{{ config(**customer_state_config(incremental_inputs=['fct_orders'])) }}

with orders as {{ not_materialized() }} (
    select * from {{ ref('fct_orders') }}
),

{{ customer_state_purchases('orders') }},

-- industry_segment is the store's, so it is grouped by, not aggregated
-- (a text aggregate per group costs a quarter of this model)
customer_purchases as (
    select
        store_id,
        customer_id,
        industry_segment,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as orders_count,
        sum(net_revenue) as net_revenue,
        -- with one purchase per day, the first purchase day is the first purchase
        min_by(net_revenue, order_date) as first_order_net_revenue,
        sum(discount_amount) as discount_amount,
        count(case when has_discount then 1 end) as discounted_orders_count,
        -- every purchase after the first is on a later day than the one before it
        -- (fct_orders' sequence), so each purchase is a purchase day of its own
        count(days_since_previous_order) = count(*) - 1
        and coalesce(min(days_since_previous_order) > 0, true) as has_one_purchase_per_day
    from purchases
    group by store_id, customer_id, industry_segment
),

-- the other customers, grouped by purchase day on their own purchases
-- (a few percent of the customers)
customers_with_shared_days as (
    select
        store_id,
        customer_id
    from customer_purchases
    where not has_one_purchase_per_day
),

shared_purchase_days as (
    select
        purchases.store_id,
        purchases.customer_id,
        purchases.order_date,
        sum(purchases.net_revenue) as net_revenue
    from purchases
    inner join customers_with_shared_days
        on
            purchases.store_id = customers_with_shared_days.store_id
            and purchases.customer_id = customers_with_shared_days.customer_id
    group by purchases.store_id, purchases.customer_id, purchases.order_date
),

shared_days_summed as (
    select
        store_id,
        customer_id,
        count(*) as purchase_days,
        sum(net_revenue) - min_by(net_revenue, order_date) as repeat_days_net_revenue
    from shared_purchase_days
    group by store_id, customer_id
),

final as (
    select
        customer_purchases.store_id,
        customer_purchases.customer_id,
        customer_purchases.industry_segment,
        customer_purchases.first_order_at,
        customer_purchases.last_order_at,
        customer_purchases.first_order_date,
        customer_purchases.last_order_date,
        cast(customer_purchases.orders_count as bigint) as orders_count,
        case
            when customer_purchases.has_one_purchase_per_day then customer_purchases.orders_count
            else shared_days_summed.purchase_days
        end as purchase_days,
        -- money sums back to the orders' decimal(18, 2): a sum's decimal(38, 2) is
        -- stored as a 128-bit integer, 14x dearer to write and 70x to read
        -- (DECISIONLOG.md "Money sums stored as decimal(18, 2)")
        cast(customer_purchases.net_revenue as decimal(18, 2)) as net_revenue,
        -- net revenue of the purchase days after the first one
        cast(
            case
                when customer_purchases.has_one_purchase_per_day
                    then customer_purchases.net_revenue - customer_purchases.first_order_net_revenue
                else shared_days_summed.repeat_days_net_revenue
            end
            as decimal(18, 2)
        ) as repeat_days_net_revenue,
        cast(customer_purchases.discount_amount as decimal(18, 2)) as discount_amount,
        cast(customer_purchases.discounted_orders_count as bigint) as discounted_orders_count
    from customer_purchases
    left join shared_days_summed
        on
            customer_purchases.store_id = shared_days_summed.store_id
            and customer_purchases.customer_id = shared_days_summed.customer_id
)

select * from final
