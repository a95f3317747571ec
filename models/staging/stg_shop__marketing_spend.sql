with validated as (
    select * from {{ ref('stg_shop__marketing_spend_validated') }}
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
