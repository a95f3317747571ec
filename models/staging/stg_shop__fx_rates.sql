{# Accepted rows of the optional raw fx_rates table: one per currency and month. #}
with validated as (
    select * from {{ ref('base_shop__fx_rates') }}
),

final as (
    select
        currency,
        month,
        rate_to_usd
    from validated
    where reject_reason is null
)

select * from final
