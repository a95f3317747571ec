{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_bucket'],
    incremental_inputs=['raw_carts', 'stg_shop__orders'],
    changed_raw_files='raw_carts',
    changes_from='base_shop__orders',
    post_hook="{{ delete_bucket_tombstones() }}",
) }}

{#
    Every raw cart row with its reject_reason (null = accepted). A cart
    that names an order staging did not accept is rejected (unknown_order).

    Incremental by bucket like base_shop__orders (DECISIONLOG.md
    "Incremental staging by bucket"; macros/staging/incremental_buckets.sql):
    buckets of one file, raw store_id and raw day of created_at; a build
    re-validates the buckets whose fingerprint changed and the buckets
    holding a cart whose order changed in orders staging since this
    model's last build (the changelog of base_shop__orders) in a way its
    unknown_order check can see: the order accepted now and the cart
    rejected as unknown_order, or the order no longer accepted and the cart
    accepted (a cart rejected for another reason is checked again too). A
    status or amount change checks no cart again. It re-flags duplicates
    for the cart keys those buckets hold. Anything else it reads changing
    (stores, vars, its code) re-validates every bucket.
#}

{%- set raw_types = column_types(ref('raw_carts')) %}

with source as {{ not_materialized() }} (
    select * from {{ ref('raw_carts') }}
),

-- a bucket holding a row rejected as dated in the future (with var
-- build_date null it may be valid today) or a cart whose order changed so
-- that its unknown_order check may now answer otherwise is checked again
{{ order_bucket_change_ctes(
    raw_day_bucket('source', 'created_at'),
    future_dated_reject(['created_at']),
    ['store_id', 'cart_id'],
    verdict_may_change=unknown_order_may_change(),
) }},

orders as {{ not_materialized() }} (
    select * from {{ ref('stg_shop__orders') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

cleaned as {{ not_materialized() }} (
    select
        source.*,
        {{ clean_text('source.store_id') }} as clean_store_id,
        stores.timezone as store_timezone
    from to_check as source
    left join stores
        on {{ clean_text('source.store_id') }} = stores.store_id
),

typed as {{ not_materialized() }} (
    select
        _source_file,
        _source_row_number,
        _bucket,
        _bucket_fingerprint,
        _is_probe,
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

-- the orders the carts to check name that staging did not accept: a hash
-- table of the carts' distinct order keys, probed by the orders' keys,
-- instead of one of every order with the carts' columns alongside (which
-- spills beyond memory_limit at 50M orders; DECISIONLOG.md "Staging looks
-- up orders by key")
named_orders as (
    {{ named_order_keys() }}
),

unknown_orders as (
    select
        named_orders.store_id,
        named_orders.order_id
    from named_orders
    anti join orders
        on
            named_orders.store_id = orders.store_id
            and named_orders.order_id = orders.order_id
),

checked as {{ not_materialized() }} (
    select
        typed.*,
        case
            when typed.has_wrong_field_count then 'wrong_field_count'
            when typed.cart_id is null or typed.store_id is null then 'missing_key'
            when typed.created_at is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('typed.created_at') }} then 'out_of_range_timestamp'
            when typed.has_unparseable_value then 'invalid_amount'
            when typed.cart_value < 0 then 'negative_amount'
            when unknown_orders.order_id is not null then 'unknown_order'
        end as reject_reason,
        {{ content_hash(['typed.customer_id', 'typed.created_at', 'typed.cart_value', 'typed.order_id']) }}
            as _content_hash
    from typed
    left join unknown_orders
        on
            typed.store_id = unknown_orders.store_id
            and typed.order_id = unknown_orders.order_id
),

{{ bucket_local_day_offsets() }},

validated as {{ not_materialized() }} (
    select
        checked.store_id,
        checked.cart_id,
        checked.customer_id,
        checked.created_at,
        {{ local_date_from_offsets('checked.created_at', 'checked.store_timezone', 'local_day_offsets') }}
            as created_date,
        checked.cart_value,
        checked.order_id,
        checked.reject_reason,
        {{ bucket_row_columns('checked') }}
    from checked
    left join local_day_offsets
        on {{ utc_day_offsets_join('checked.created_at', 'checked.store_timezone', 'local_day_offsets') }}
),

{{ bucket_candidates(['store_id', 'cart_id'], 'cart_id') }},

deduplicated as (
    {{ flag_duplicates(
        'candidates', ['store_id', 'cart_id'], 'cart_id', none, keep_hash=true, copies='candidate_copies'
    ) }}
),

final as (
    select * from deduplicated
    {{- bucket_tombstones() }}
)

select * from final
