with validated as (
    select * from {{ ref('base_shop__refunds') }}
),

final as (
    select
        store_id,
        refund_id,
        order_id,
        refunded_at,
        refund_date,
        amount,
        {{ to_reporting_currency('amount', 'rate_to_reporting') }} as amount_reporting
    from validated
    where reject_reason is null
)

select * from final
