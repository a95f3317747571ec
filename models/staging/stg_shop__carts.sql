with validated as (
    select * from {{ ref('base_shop__carts') }}
),

final as (
    select
        store_id,
        cart_id,
        customer_id,
        created_at,
        created_date,
        cart_value,
        order_id,
        order_id is null as is_abandoned
    from validated
    where reject_reason is null
)

select * from final
