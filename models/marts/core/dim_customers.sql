{#
    One row per customer — a (store_id, customer_id) pair with at least one
    purchase on or before as_of_date. Guests (orders without customer_id)
    are not customers. Registered customers who never bought are not here
    either: a customer enters the warehouse with its first purchase.

    The customer tables it joins do not depend on as_of_date, except the
    CLV predictions; the columns measured at as_of_date that need no model
    are computed here: days_since_last_order, is_churn_risk,
    is_cart_abandoner, is_loyalty_member, expected_next_order_date
    (DECISIONLOG.md "The flags that depend on as_of_date are computed in
    dim_customers"). A build that only moves as_of_date then rebuilds this
    model and the CLV scoring (read through the predictions view), not the
    segments.
#}
{%- set cart_window_days = var('cart_abandonment_window_days', 30) %}

with customers_aggregated as (
    select * from {{ ref('int_customers_aggregated') }}
),

profiles as (
    select * from {{ ref('stg_shop__customers') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

-- segments (RFM scores, named segment, behavioural flags)
segments as (
    select * from {{ ref('int_customers_segmented') }}
),

-- CLV (issue 5): buy-till-you-die summary and predictions
clv as (
    select * from {{ ref('int_customers_clv_predicted') }}
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
        {{ dbt.datediff('last_order_date', as_of_date(), 'day') }}
            as days_since_last_order
    from customers_aggregated
),

-- is_cart_abandoner is null for the customers of a store without any cart
-- row in the raw data (no carts file, or a store that does not export
-- carts): missing data is not "did not abandon"
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

final as (
    select
        customers.store_id,
        customers.customer_id,
        {{ store_segment('stores.industry_segment') }} as industry_segment,
        customers.first_order_at,
        customers.first_order_date,
        cast({{ dbt.date_trunc('month', 'customers.first_order_date') }} as date) as cohort_month,
        customers.last_order_at,
        customers.last_order_date,
        cast(customers.orders_count as integer) as orders_count,
        cast(customers.net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ average_order_value('customers.net_revenue', 'customers.orders_count') }} as decimal(18, 2))
            as average_order_value,
        cast(customers.discounted_orders_count as integer) as discounted_orders_count,
        profiles.created_at as registered_at,
        profiles.country_code,
        profiles.accepts_marketing,
        profiles.loyalty_member_since,
        -- null when the customers file does not know the customer
        case
            when profiles.customer_id is not null
                then coalesce(cast(profiles.loyalty_member_since as date) <= {{ as_of_date() }}, false)
        end as is_loyalty_member,
        -- segments (RFM scores, named segment, behavioural flags)
        cast(customers.days_since_last_order as integer) as days_since_last_order,
        segments.rfm_recency_score,
        segments.rfm_frequency_score,
        segments.rfm_monetary_score,
        segments.rfm_segment,
        segments.is_first_time_buyer,
        segments.is_repeat_buyer,
        segments.is_vip,
        segments.is_discount_shopper,
        segments.is_full_price_buyer,
        case
            when stores_with_carts.store_id is not null
                then coalesce(last_abandoned_carts.last_abandoned_at >= customers.last_order_at, false)
        end as is_cart_abandoner,
        segments.is_high_aov,
        segments.is_big_spender,
        -- no purchase in the churn_risk_days days ending on as_of_date
        -- (same window convention as active_window_days: d - W < date <= d)
        customers.days_since_last_order >= {{ var('churn_risk_days') }} as is_churn_risk,
        profiles.email_hash,
        -- CLV (issue 5)
        clv.frequency,
        clv.recency_days,
        clv.tenure_days,
        {{ double_to_cents('clv.monetary_value') }} as monetary_value,
        cast(clv.historical_clv as decimal(18, 2)) as historical_clv,
        cast(clv.probability_alive as double) as probability_alive,
        cast(clv.predicted_purchases as double) as predicted_purchases,
        {{ double_to_cents('clv.expected_average_spend') }} as expected_average_spend,
        {{ double_to_cents('clv.predicted_clv') }} as predicted_clv,
        {{ double_to_cents('clv.simple_clv') }} as simple_clv,
        -- next-purchase outlook (issue 19; closed forms in retention.clv.outlook)
        cast(clv.probability_purchase_30d as double) as probability_purchase_30d,
        cast(clv.probability_purchase_90d as double) as probability_purchase_90d,
        cast(clv.median_days_to_next_purchase as double) as median_days_to_next_purchase,
        -- the day by which an alive customer's next purchase is as likely as not: the median
        -- counts from the end of as_of_date, so day as_of_date + ceil(median); only for
        -- customers more likely alive than not
        cast(
            case
                when clv.probability_alive >= 0.5
                    then {{ as_of_date() }} + cast(ceil(clv.median_days_to_next_purchase) as integer)
            end
            as date
        ) as expected_next_order_date
    from customers
    left join profiles
        on
            customers.store_id = profiles.store_id
            and customers.customer_id = profiles.customer_id
    left join stores
        on customers.store_id = stores.store_id
    -- segments: one row per customer, no fan-out
    left join segments
        on
            customers.store_id = segments.store_id
            and customers.customer_id = segments.customer_id
    -- CLV (issue 5)
    left join clv
        on
            customers.store_id = clv.store_id
            and customers.customer_id = clv.customer_id
    left join stores_with_carts
        on customers.store_id = stores_with_carts.store_id
    left join last_abandoned_carts
        on
            customers.store_id = last_abandoned_carts.store_id
            and customers.customer_id = last_abandoned_carts.customer_id
)

select * from final
