-- Which RFM segment should we win back? The slipping segments (At Risk,
-- Can't Lose Them, About to Sleep, Hibernating) per store, ranked by the
-- predicted value still at stake.

with segments as (
    select * from {{ ref('rpt_customer_segments') }}
),

slipping as (
    select
        store_id,
        industry_segment,
        rfm_segment,
        customers,
        share_of_customers,
        net_revenue,
        average_predicted_clv,
        customers * average_predicted_clv as predicted_value_at_stake
    from segments
    where rfm_segment in ('At Risk', 'Can''t Lose Them', 'About to Sleep', 'Hibernating')
),

final as (
    select
        *,
        rank() over (partition by store_id order by predicted_value_at_stake desc) as priority
    from slipping
)

select * from final
order by store_id, priority
