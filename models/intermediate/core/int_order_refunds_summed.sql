{#
    Refunds per order in the ORDER's currency (converted together with the
    order in fct_orders, so that cents add up), counting only refunds made
    on or before as_of_date (a refund issued later is not yet known at the
    analysis date).
#}
with refunds as (
    select * from {{ ref('stg_shop__refunds') }}
),

final as (
    select
        store_id,
        order_id,
        count(*) as refunds_count,
        cast(sum(amount) as decimal(18, 2)) as refunded_in_order_currency
    from refunds
    where refund_date <= {{ as_of_date() }}
    group by store_id, order_id
)

select * from final
