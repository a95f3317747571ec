{#
    One row per customer (store_id, customer_id) with at least one purchase
    on or before as_of_date: acquisition, activity and value to date.

    Customer-level state: it does not depend on as_of_date (fct_orders
    holds the orders up to it). Incremental (DuckDB): a build recomputes
    only the customers in fct_orders' changelog since its last build, and
    deletes those left without a purchase (macros/build_log/changelog.sql).
#}
{{ config(**customer_state_config(incremental_inputs=['fct_orders'])) }}

with orders as (
    select * from {{ ref('fct_orders') }}
),

{{ customer_state_purchases('orders') }},

-- purchases on the same day collapse into one purchase day (the unit of
-- the buy-till-you-die summary, int_customers_btyd_summarised);
-- industry_segment is the store's, so it is grouped by, not aggregated
-- (a text aggregate per group costs a quarter of this model)
purchase_days as (
    select
        store_id,
        customer_id,
        order_date,
        industry_segment,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as orders_count,
        sum(net_revenue) as net_revenue,
        sum(discount_amount) as discount_amount,
        count(case when has_discount then 1 end) as discounted_orders_count
    from purchases
    group by store_id, customer_id, order_date, industry_segment
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        min(first_order_at) as first_order_at,
        max(last_order_at) as last_order_at,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        cast(sum(orders_count) as bigint) as orders_count,
        count(*) as purchase_days,
        -- money sums back to the orders' decimal(18, 2): a sum's decimal(38, 2) is
        -- stored as a 128-bit integer, 14x dearer to write and 70x to read
        -- (DECISIONLOG.md "Money sums stored as decimal(18, 2)")
        cast(sum(net_revenue) as decimal(18, 2)) as net_revenue,
        -- net revenue of the purchase days after the first one
        cast(sum(net_revenue) - min_by(net_revenue, order_date) as decimal(18, 2)) as repeat_days_net_revenue,
        cast(sum(discount_amount) as decimal(18, 2)) as discount_amount,
        cast(sum(discounted_orders_count) as bigint) as discounted_orders_count
    from purchase_days
    group by store_id, customer_id, industry_segment
)

select * from final
