{#
    One row per customer — a (store_id, customer_id) pair with at least one
    purchase on or before as_of_date. Guests (orders without customer_id)
    are not customers. Registered customers who never bought are not here
    either: a customer enters the warehouse with its first purchase.
#}

with customers as (
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
        segments.days_since_last_order,
        segments.rfm_recency_score,
        segments.rfm_frequency_score,
        segments.rfm_monetary_score,
        segments.rfm_segment,
        segments.is_first_time_buyer,
        segments.is_repeat_buyer,
        segments.is_vip,
        segments.is_discount_shopper,
        segments.is_full_price_buyer,
        segments.is_cart_abandoner,
        segments.is_high_aov,
        segments.is_big_spender,
        segments.is_churn_risk,
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
)

select * from final
