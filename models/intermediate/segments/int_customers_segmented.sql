{#
    One row per customer (store_id, customer_id) of int_customers_aggregated
    with its segments (docs/metrics.md, "Segments"):

    - RFM scores 1-5 within the store (5 = best) and the named segment of
      the rfm_segments seed:
        recency   = last_order_date (later = better: the ranks of fewer
                    days_since_last_order, without as_of_date)
        frequency = orders_count (purchases)
        monetary  = net_revenue
      Scoring rule (ties always equal, bins for small stores): macro
      rfm_quintile_score and DECISIONLOG.md. Segment: the seed row whose
      r range holds the R score and whose fm range holds fm_score = (F + M) / 2.
    - the behavioural flags that do not depend on as_of_date. Rules and tie
      handling: DECISIONLOG.md, "Behavioural flags".

    Both in one model, so that dim_customers joins the segments once: at
    12M customers its joins no longer fit in memory together
    (DECISIONLOG.md "RFM scores and flags in one model"). Nothing here
    depends on as_of_date, so a build that only moves it does not rebuild
    this model: dim_customers applies as_of_date (days_since_last_order,
    is_churn_risk, is_cart_abandoner; DECISIONLOG.md "The flags that
    depend on as_of_date are computed in dim_customers").
#}

with customers_aggregated as (
    select * from {{ ref('int_customers_aggregated') }}
),

segment_map as (
    select * from {{ ref('rfm_segments') }}
),

customers as (
    select
        *,
        -- AOV as dim_customers shows it (rounded to cents)
        {{ average_order_value('net_revenue', 'orders_count') }} as average_order_value
    from customers_aggregated
),

scored as (
    select
        customers.store_id,
        customers.customer_id,
        -- RFM
        {{ rfm_quintile_score('customers.last_order_date', true, 'customers.store_id') }} as rfm_recency_score,
        {{ rfm_quintile_score('customers.orders_count', true, 'customers.store_id') }} as rfm_frequency_score,
        {{ rfm_quintile_score('customers.net_revenue', true, 'customers.store_id') }} as rfm_monetary_score,
        -- behavioural flags
        customers.orders_count = 1 as is_first_time_buyer,
        customers.orders_count >= 2 as is_repeat_buyer,
        {{ is_in_top_share('customers.net_revenue', var('vip_top_share'), 'customers.store_id') }} as is_vip,
        2 * customers.discounted_orders_count > customers.orders_count as is_discount_shopper,
        customers.discounted_orders_count = 0 as is_full_price_buyer,
        {{ is_in_top_share('customers.average_order_value', 0.2, 'customers.store_id') }} as is_high_aov,
        {{ is_in_top_share('customers.net_revenue', 0.1, 'customers.store_id') }} as is_big_spender
    from customers
),

recency_scores as (
    select {{ unnest_series('1', '5') }} as rfm_recency_score
),

-- F + M: from 2 to 10
frequency_monetary_sums as (
    select {{ unnest_series('2', '10') }} as rfm_fm_sum
),

-- the named segment of every pair of R score and F + M (5 x 9 rows): each
-- customer then finds its segment by an equality join, not a range join
-- over every customer
segment_grid as (
    select
        recency_scores.rfm_recency_score,
        frequency_monetary_sums.rfm_fm_sum,
        segment_map.rfm_segment
    from recency_scores
    cross join frequency_monetary_sums
    left join segment_map
        on
            recency_scores.rfm_recency_score between segment_map.r_min and segment_map.r_max
            and frequency_monetary_sums.rfm_fm_sum / 2.0 between segment_map.fm_min and segment_map.fm_max
),

final as (
    select
        scored.store_id,
        scored.customer_id,
        cast(scored.rfm_recency_score as integer) as rfm_recency_score,
        cast(scored.rfm_frequency_score as integer) as rfm_frequency_score,
        cast(scored.rfm_monetary_score as integer) as rfm_monetary_score,
        cast((scored.rfm_frequency_score + scored.rfm_monetary_score) / 2.0 as double) as rfm_fm_score,
        segment_grid.rfm_segment,
        scored.is_first_time_buyer,
        scored.is_repeat_buyer,
        scored.is_vip,
        scored.is_discount_shopper,
        scored.is_full_price_buyer,
        scored.is_high_aov,
        scored.is_big_spender
    from scored
    left join segment_grid
        on
            scored.rfm_recency_score = segment_grid.rfm_recency_score
            and scored.rfm_frequency_score + scored.rfm_monetary_score = segment_grid.rfm_fm_sum
)

select * from final
