-- Do desktop shoppers spend more than mobile shoppers? On which channel?
-- Average order value (net revenue / purchases) by device and channel over
-- the last twelve months, all stores, guests included.

with orders as (
    select * from {{ ref('fct_orders') }}
),

recent_purchases as (
    select
        coalesce(device, 'unknown') as device,
        coalesce(channel, 'unknown') as channel,
        net_revenue
    from orders
    where
        is_purchase
        and order_date > {{ as_of_date() }} - interval 12 month
),

final as (
    select
        device,
        channel,
        count(*) as purchases,
        sum(net_revenue) as net_revenue,
        {{ average_order_value('sum(net_revenue)', 'count(*)') }} as average_order_value
    from recent_purchases
    group by device, channel
)

select * from final
order by average_order_value desc
