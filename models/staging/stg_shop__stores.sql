with validated as (
    select * from {{ ref('base_shop__stores') }}
),

final as (
    select
        store_id,
        store_name,
        industry_segment,
        currency,
        country_code,
        timezone
    from validated
    where reject_reason is null
)

select * from final
