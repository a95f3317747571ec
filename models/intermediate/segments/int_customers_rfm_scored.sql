{#
    One row per customer (store_id, customer_id) with RFM scores 1-5 within
    the store (5 = best) and the named segment of the rfm_segments seed.
      recency   = last_order_date (later = better: the ranks of fewer
                  days_since_last_order, without as_of_date)
      frequency = orders_count (purchases)
      monetary  = net_revenue
    Scoring rule (ties always equal, bins for small stores): macro
    rfm_quintile_score and DECISIONLOG.md. Segment: the seed row whose
    r range holds the R score and whose fm range holds fm_score = (F + M) / 2.
#}

with customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

segment_map as (
    select * from {{ ref('rfm_segments') }}
),

scored as (
    select
        customers.store_id,
        customers.customer_id,
        {{ rfm_quintile_score('customers.last_order_date', true, 'customers.store_id') }} as rfm_recency_score,
        {{ rfm_quintile_score('customers.orders_count', true, 'customers.store_id') }} as rfm_frequency_score,
        {{ rfm_quintile_score('customers.net_revenue', true, 'customers.store_id') }} as rfm_monetary_score
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

segmented as (
    select
        scored.*,
        (scored.rfm_frequency_score + scored.rfm_monetary_score) / 2.0 as rfm_fm_score,
        segment_grid.rfm_segment
    from scored
    left join segment_grid
        on
            scored.rfm_recency_score = segment_grid.rfm_recency_score
            and scored.rfm_frequency_score + scored.rfm_monetary_score = segment_grid.rfm_fm_sum
),

final as (
    select
        store_id,
        customer_id,
        cast(rfm_recency_score as integer) as rfm_recency_score,
        cast(rfm_frequency_score as integer) as rfm_frequency_score,
        cast(rfm_monetary_score as integer) as rfm_monetary_score,
        cast(rfm_fm_score as double) as rfm_fm_score,
        rfm_segment
    from segmented
)

select * from final
