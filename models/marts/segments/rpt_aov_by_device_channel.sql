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

by_device as (
    select
        store_id,
        industry_segment,
        order_month,
        'device' as breakdown,
        coalesce(device, 'unknown') as breakdown_value,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from purchases
    group by store_id, industry_segment, order_month, coalesce(device, 'unknown')
),

by_channel as (
    select
        store_id,
        industry_segment,
        order_month,
        'channel' as breakdown,
        coalesce(channel, 'unknown') as breakdown_value,
        count(*) as purchases,
        sum(net_revenue) as net_revenue
    from purchases
    group by store_id, industry_segment, order_month, coalesce(channel, 'unknown')
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
