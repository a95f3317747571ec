{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_bucket'],
    incremental_inputs=['raw_refunds', 'stg_shop__orders'],
    changed_raw_files='raw_refunds',
    changes_from='base_shop__orders',
    post_hook="{{ delete_bucket_tombstones() }}",
    changelog_keys=['store_id', 'order_id'],
    changelog_ignore=['_source_file', '_source_row_number', '_bucket', '_bucket_fingerprint'],
) }}

{#
    Every raw refund row with its reject_reason (null = accepted). Refunds
    are in the order's currency and converted at the order's rate: the
    rate of the order's month, whenever the refund happens (DECISIONLOG.md,
    "Refunds use the order's exchange rate"); a refund of an accepted order
    therefore never lacks a rate. A refund
    that would take the order's refunded total above its value
    (subtotal - discount) is rejected, in refunded_at order.

    Incremental by bucket like base_shop__carts (DECISIONLOG.md
    "Incremental staging by bucket"; macros/staging/incremental_buckets.sql):
    buckets of one file, raw store_id and raw day of refunded_at; a build
    re-validates the buckets whose fingerprint changed and the buckets
    holding a refund whose order changed in orders staging since this
    model's last build (the changelog of base_shop__orders: the order may
    be known now or no more, its value, date or rate may differ), re-flags
    duplicates for the refund keys those buckets hold, and checks the
    order's refunded total again over every refund of each order those
    buckets hold (bucket_candidates' groups). Anything else it reads
    changing (stores, vars, its code) re-validates every bucket. The orders
    whose refund rows it changed go to its changelog (read by fct_orders).
#}

{%- set raw_types = column_types(ref('raw_refunds')) %}

with source as {{ not_materialized() }} (
    select * from {{ ref('raw_refunds') }}
),

-- a bucket holding a row rejected as dated in the future (with var
-- build_date null it may be valid today) or a refund whose order changed
-- (known now or no more, another value, date or rate) is checked again
{{ order_bucket_change_ctes(
    raw_day_bucket('source', 'refunded_at'),
    future_dated_reject(['refunded_at']),
    ['store_id', 'refund_id'],
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
        {{ clean_text('refund_id') }} as refund_id,
        clean_store_id as store_id,
        {{ clean_text('order_id') }} as order_id,
        {{ parse_timestamp('refunded_at', raw_types, 'store_timezone') }} as refunded_at,
        {{ parse_money('amount') }} as amount
    from cleaned
),

-- the orders the refunds to check name, with what the checks need: a hash
-- table of the refunds' distinct order keys, probed by the orders' keys
-- (DECISIONLOG.md "Staging looks up orders by key")
named_orders as (
    {{ named_order_keys() }}
),

refunded_orders as (
    select
        orders.store_id,
        orders.order_id,
        orders.ordered_at,
        orders.rate_to_reporting,
        orders.subtotal_amount - orders.discount_amount as order_value
    from orders
    inner join named_orders
        on
            orders.store_id = named_orders.store_id
            and orders.order_id = named_orders.order_id
),

checked as {{ not_materialized() }} (
    select
        typed.*,
        refunded_orders.rate_to_reporting,
        refunded_orders.order_value,
        case
            when typed.has_wrong_field_count then 'wrong_field_count'
            when typed.refund_id is null or typed.store_id is null or typed.order_id is null
                then 'missing_key'
            when typed.refunded_at is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('typed.refunded_at') }} then 'out_of_range_timestamp'
            when typed.amount is null then 'invalid_amount'
            when typed.amount <= 0 then 'negative_amount'
            when refunded_orders.order_id is null then 'unknown_order'
            when typed.refunded_at < refunded_orders.ordered_at then 'refund_before_order'
        end as reject_reason,
        {{ content_hash(['typed.order_id', 'typed.refunded_at', 'typed.amount']) }} as _content_hash
    from typed
    left join refunded_orders
        on
            typed.store_id = refunded_orders.store_id
            and typed.order_id = refunded_orders.order_id
),

{{ bucket_local_day_offsets() }},

validated as {{ not_materialized() }} (
    select
        checked.store_id,
        checked.refund_id,
        checked.order_id,
        checked.refunded_at,
        {{ local_date_from_offsets('checked.refunded_at', 'checked.store_timezone', 'local_day_offsets') }}
            as refund_date,
        checked.amount,
        checked.rate_to_reporting,
        checked.order_value,
        checked.reject_reason,
        {{ bucket_row_columns('checked') }}
    from checked
    left join local_day_offsets
        on {{ utc_day_offsets_join('checked.refunded_at', 'checked.store_timezone', 'local_day_offsets') }}
),

{{ bucket_candidates(
    ['store_id', 'refund_id'], 'refund_id',
    group_columns=['store_id', 'order_id'], group_reasons=['refund_exceeds_order'],
) }},

deduplicated as (
    {{ flag_duplicates(
        'candidates', ['store_id', 'refund_id'], 'refund_id', none, keep_hash=true, copies='candidate_copies'
    ) }}
),

-- the orders whose accepted refunds add up to more than the order's value
-- (normally none or few): only their refunds need a running total, since
-- an accepted amount is positive
over_refunded_orders as (
    select
        store_id,
        order_id
    from deduplicated
    where reject_reason is null
    group by store_id, order_id
    having sum(amount) > min(order_value)
),

-- the accepted refunds that take their order's refunded total above its
-- value, in refunded_at order (a running total over the few rows above,
-- not a sort of every refund with its columns)
exceeding_refunds as (
    select
        _source_file,
        _source_row_number
    from (
        select
            deduplicated._source_file,
            deduplicated._source_row_number,
            deduplicated.order_value,
            sum(deduplicated.amount) over (
                partition by deduplicated.store_id, deduplicated.order_id
                order by deduplicated.refunded_at, deduplicated.refund_id
                rows between unbounded preceding and current row
            ) as refunded_so_far
        from deduplicated
        inner join over_refunded_orders
            on
                deduplicated.store_id = over_refunded_orders.store_id
                and deduplicated.order_id = over_refunded_orders.order_id
        where deduplicated.reject_reason is null
    ) as running_totals
    where refunded_so_far > order_value
),

final as (
    select
        {{ star_exclude('deduplicated', ['reject_reason']) }},
        case
            when
                deduplicated.reject_reason is null
                and exceeding_refunds._source_row_number is not null
                then 'refund_exceeds_order'
            else deduplicated.reject_reason
        end as reject_reason
    from deduplicated
    left join exceeding_refunds
        on
            deduplicated._source_file = exceeding_refunds._source_file
            and deduplicated._source_row_number = exceeding_refunds._source_row_number
    {{- bucket_tombstones() }}
)

select * from final
