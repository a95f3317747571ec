{#
    Average order value by device and by channel, per store and month, in
    long form: one row per store x order_month x breakdown ('device' or
    'channel') x breakdown_value. Purchases only (completed and refunded
    orders), guests included: AOV is an order metric. A missing device or
    channel is reported as 'unknown'.
#}

with purchases as (
    select * from {{ ref('fct_orders') }}
    where is_purchase
),

-- one pass over the purchases: store x month x device x channel cells (a
-- few per store and month), which both breakdowns then sum (integer counts
-- and cent sums: exact)
purchase_cells as (
    select
        store_id,
        industry_segment,
        order_month,
        coalesce(device, 'unknown') as device,
        coalesce(channel, 'unknown') as channel,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from purchases
    group by store_id, industry_segment, order_month, coalesce(device, 'unknown'), coalesce(channel, 'unknown')
),

by_device as (
    select
        store_id,
        industry_segment,
        order_month,
        'device' as breakdown,
        device as breakdown_value,
        sum(purchases) as purchases,
        sum(net_revenue) as net_revenue
    from purchase_cells
    group by store_id, industry_segment, order_month, device
),

by_channel as (
    select
        store_id,
        industry_segment,
        order_month,
        'channel' as breakdown,
        channel as breakdown_value,
        sum(purchases) as purchases,
        sum(net_revenue) as net_revenue
    from purchase_cells
    group by store_id, industry_segment, order_month, channel
),

breakdowns as (
    select * from by_device
    union all
    select * from by_channel
),

final as (
    select
        store_id,
        industry_segment,
        order_month,
        breakdown,
        breakdown_value,
        cast(purchases as integer) as purchases,
        cast(
            {{ safe_ratio('purchases', 'sum(purchases) over (partition by store_id, order_month, breakdown)') }}
            as double
        ) as share_of_purchases,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ average_order_value('net_revenue', 'purchases') }} as decimal(18, 2)) as average_order_value
    from breakdowns
)

select * from final
