{#
    One row per store x RFM segment: every segment of the rfm_segments seed
    for every store with customers (a segment without customers is a row
    with zeros). Aggregated from dim_customers (one row per customer), so no
    join can fan out.
#}

with customers as (
    select * from {{ ref('dim_customers') }}
),

segment_map as (
    select * from {{ ref('rfm_segments') }}
),

segments as (
    select
        rfm_segment,
        min(segment_order) as segment_order
    from segment_map
    group by rfm_segment
),

stores as (
    select
        store_id,
        industry_segment,
        count(*) as store_customers,
        sum(net_revenue) as store_net_revenue
    from customers
    group by store_id, industry_segment
),

segment_totals as (
    select
        store_id,
        rfm_segment,
        count(*) as customers,
        sum(net_revenue) as net_revenue,
        -- historical CLV = net revenue to date (docs/metrics.md)
        {{ avg_as_double('net_revenue') }} as average_historical_clv,
        -- null when no customer of the group has a model prediction
        {{ avg_as_double('predicted_clv') }} as average_predicted_clv
    from customers
    group by store_id, rfm_segment
),

store_segments as (
    select
        stores.store_id,
        stores.industry_segment,
        segments.rfm_segment,
        segments.segment_order,
        stores.store_customers,
        stores.store_net_revenue,
        coalesce(segment_totals.customers, 0) as customers,
        coalesce(segment_totals.net_revenue, 0) as net_revenue,
        segment_totals.average_historical_clv,
        segment_totals.average_predicted_clv
    from stores
    cross join segments
    left join segment_totals
        on
            stores.store_id = segment_totals.store_id
            and segments.rfm_segment = segment_totals.rfm_segment
),

final as (
    select
        store_id,
        industry_segment,
        rfm_segment,
        cast(segment_order as integer) as segment_order,
        cast(customers as integer) as customers,
        cast({{ safe_ratio('customers', 'store_customers') }} as double) as share_of_customers,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ safe_ratio('net_revenue', 'store_net_revenue') }} as double) as share_of_revenue,
        {{ double_to_cents('average_historical_clv') }} as average_historical_clv,
        {{ double_to_cents('average_predicted_clv') }} as average_predicted_clv
    from store_segments
)

select * from final
