{#
    One row per customer (store_id, customer_id) with the behavioural flags
    of docs/metrics.md ("Segments"). Rules and tie handling: DECISIONLOG.md,
    "Behavioural flags". is_cart_abandoner is null for the customers of a
    store without any cart row in the raw data (no carts file, or a store
    that does not export carts): missing data is not "did not abandon".
#}
{%- set cart_window_days = var('cart_abandonment_window_days', 30) %}

with customers_aggregated as (
    select * from {{ ref('int_customers_aggregated') }}
),

carts as (
    select * from {{ ref('stg_shop__carts') }}
),

raw_cart_rows as (
    select * from {{ ref('base_shop__carts') }}
),

customers as (
    select
        *,
        -- AOV as dim_customers shows it (rounded to cents)
        {{ average_order_value('net_revenue', 'orders_count') }} as average_order_value
    from customers_aggregated
),

stores_with_carts as (
    select distinct store_id
    from raw_cart_rows
    where store_id is not null
),

-- a customer's latest abandoned cart in the window: an abandoned cart
-- counts when the customer bought nothing after it, that is when the
-- latest one is not older than the last order (a small table, joined once)
last_abandoned_carts as (
    select
        store_id,
        customer_id,
        max(created_at) as last_abandoned_at
    from carts
    where
        is_abandoned
        and customer_id is not null
        and created_date > {{ as_of_date() }} - {{ cart_window_days }}
        and created_date <= {{ as_of_date() }}
    group by store_id, customer_id
),

flagged as (
    select
        customers.store_id,
        customers.customer_id,
        {{ dbt.datediff('customers.last_order_date', as_of_date(), 'day') }}
            as days_since_last_order,
        customers.orders_count = 1 as is_first_time_buyer,
        customers.orders_count >= 2 as is_repeat_buyer,
        {{ is_in_top_share('customers.net_revenue', var('vip_top_share'), 'customers.store_id') }} as is_vip,
        2 * customers.discounted_orders_count > customers.orders_count as is_discount_shopper,
        customers.discounted_orders_count = 0 as is_full_price_buyer,
        case
            when stores_with_carts.store_id is not null
                then coalesce(last_abandoned_carts.last_abandoned_at >= customers.last_order_at, false)
        end as is_cart_abandoner,
        {{ is_in_top_share('customers.average_order_value', 0.2, 'customers.store_id') }} as is_high_aov,
        {{ is_in_top_share('customers.net_revenue', 0.1, 'customers.store_id') }} as is_big_spender
    from customers
    left join stores_with_carts
        on customers.store_id = stores_with_carts.store_id
    left join last_abandoned_carts
        on
            customers.store_id = last_abandoned_carts.store_id
            and customers.customer_id = last_abandoned_carts.customer_id
),

final as (
    select
        store_id,
        customer_id,
        cast(days_since_last_order as integer) as days_since_last_order,
        is_first_time_buyer,
        is_repeat_buyer,
        is_vip,
        is_discount_shopper,
        is_full_price_buyer,
        is_cart_abandoner,
        is_high_aov,
        is_big_spender,
        -- no purchase in the churn_risk_days days ending on as_of_date
        -- (same window convention as active_window_days: d - W < date <= d)
        days_since_last_order >= {{ var('churn_risk_days') }} as is_churn_risk
    from flagged
)

select * from final
