{{ config(materialized='table') }}

{# Every raw cart row with its reject_reason (null = accepted). #}

{%- set raw_types = column_types(ref('raw_carts')) %}

with source as (
    select * from {{ ref('raw_carts') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

cleaned as (
    select
        source.*,
        {{ clean_text('source.store_id') }} as clean_store_id,
        stores.timezone as store_timezone
    from source
    left join stores
        on {{ clean_text('source.store_id') }} = stores.store_id
),

typed as (
    select
        _source_file,
        _source_row_number,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        store_timezone,
        {{ clean_text('cart_id') }} as cart_id,
        clean_store_id as store_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('created_at', raw_types, 'store_timezone') }} as created_at,
        {{ parse_money('cart_value') }} as cart_value,
        {{ failed_to_parse('cart_value', parse_money('cart_value'), raw_types) }} as has_unparseable_value,
        {{ clean_text('order_id') }} as order_id
    from cleaned
),

checked as (
    select
        typed.*,
        case
            when typed.has_wrong_field_count then 'wrong_field_count'
            when typed.cart_id is null or typed.store_id is null then 'missing_key'
            when typed.created_at is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('typed.created_at') }} then 'out_of_range_timestamp'
            when typed.has_unparseable_value then 'invalid_amount'
            when typed.cart_value < 0 then 'negative_amount'
            when typed.order_id is not null and orders.order_id is null then 'unknown_order'
        end as reject_reason
    from typed
    left join orders
        on
            typed.store_id = orders.store_id
            and typed.order_id = orders.order_id
),

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id', 'cart_id'], 'cart_id',
        ['customer_id', 'created_at', 'cart_value', 'order_id']
    ) }}
),

final as (
    select
        store_id,
        cart_id,
        customer_id,
        created_at,
        {{ utc_to_local_date('created_at', 'store_timezone') }} as created_date,
        cart_value,
        order_id,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
