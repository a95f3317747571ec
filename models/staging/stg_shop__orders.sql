{#
    Accepted orders, one row per (store_id, order_id), with amounts in the
    order's currency and converted to the reporting currency (rounded to
    cents per amount). Every status is kept; is_purchase marks the orders
    that count as purchases (completed or refunded).
#}
with validated as (
    select * from {{ ref('base_shop__orders') }}
),

final as (
    select
        store_id,
        order_id,
        customer_id,
        customer_id is null as is_guest,
        ordered_at,
        order_date,
        status,
        status in ('completed', 'refunded') as is_purchase,
        currency,
        rate_to_reporting,
        subtotal_amount,
        discount_amount,
        shipping_amount,
        tax_amount,
        -- converted in base_shop__orders (to_reporting_currency), once per validated row
        subtotal_reporting,
        discount_reporting,
        shipping_reporting,
        tax_reporting,
        channel,
        device,
        discount_code,
        discount_amount > 0 or discount_code is not null as has_discount
    from validated
    where reject_reason is null
)

select * from final
