with validated as (
    select * from {{ ref('base_shop__customers') }}
),

final as (
    select
        store_id,
        customer_id,
        created_at,
        email_hash,
        country_code,
        accepts_marketing,
        loyalty_member_since
    from validated
    where reject_reason is null
)

select * from final
