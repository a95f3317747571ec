with validated as (
    select * from {{ ref('base_shop__marketing_spend') }}
),

final as (
    select
        store_id,
        month,
        channel,
        spend_amount,
        currency,
        {{ to_reporting_currency('spend_amount', 'rate_to_reporting') }} as spend_reporting
    from validated
    where reject_reason is null
)

select * from final
