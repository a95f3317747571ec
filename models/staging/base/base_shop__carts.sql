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

-- the store's UTC offset per zone and UTC day of the rows: a few time-zone
-- conversions instead of one per row (macros/cross_engine/dates.sql)
local_day_offsets as (
    {{ utc_day_offsets('(select store_timezone as timezone, cast(created_at as date) as utc_day from deduplicated)') }}
),

final as (
    select
        deduplicated.store_id,
        deduplicated.cart_id,
        deduplicated.customer_id,
        deduplicated.created_at,
        {{ local_date_from_offsets('deduplicated.created_at', 'deduplicated.store_timezone', 'local_day_offsets') }}
            as created_date,
        deduplicated.cart_value,
        deduplicated.order_id,
        deduplicated.reject_reason,
        deduplicated._source_file,
        deduplicated._source_row_number
    from deduplicated
    left join local_day_offsets
        on {{ utc_day_offsets_join('deduplicated.created_at', 'deduplicated.store_timezone', 'local_day_offsets') }}
)

select * from final
