{{ config(materialized='table') }}

{#
    Every raw refund row with its reject_reason (null = accepted). Refunds
    are in the order's currency and converted at the order's rate: the
    rate of the order's month, whenever the refund happens (DECISIONLOG.md,
    "Refunds use the order's exchange rate"); a refund of an accepted order
    therefore never lacks a rate. A refund
    that would take the order's refunded total above its value
    (subtotal - discount) is rejected, in refunded_at order.
#}

{%- set raw_types = column_types(ref('raw_refunds')) %}

with source as (
    select * from {{ ref('raw_refunds') }}
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
        {{ clean_text('refund_id') }} as refund_id,
        clean_store_id as store_id,
        {{ clean_text('order_id') }} as order_id,
        {{ parse_timestamp('refunded_at', raw_types, 'store_timezone') }} as refunded_at,
        {{ parse_money('amount') }} as amount
    from cleaned
),

checked as (
    select
        typed.*,
        orders.rate_to_reporting,
        orders.subtotal_amount - orders.discount_amount as order_value,
        case
            when typed.has_wrong_field_count then 'wrong_field_count'
            when typed.refund_id is null or typed.store_id is null or typed.order_id is null
                then 'missing_key'
            when typed.refunded_at is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('typed.refunded_at') }} then 'out_of_range_timestamp'
            when typed.amount is null then 'invalid_amount'
            when typed.amount <= 0 then 'negative_amount'
            when orders.order_id is null then 'unknown_order'
            when typed.refunded_at < orders.ordered_at then 'refund_before_order'
        end as reject_reason
    from typed
    left join orders
        on
            typed.store_id = orders.store_id
            and typed.order_id = orders.order_id
),

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id', 'refund_id'], 'refund_id',
        ['order_id', 'refunded_at', 'amount']
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

checked_totals as (
    select
        deduplicated.*,
        exceeding_refunds._source_row_number is not null as exceeds_order
    from deduplicated
    left join exceeding_refunds
        on
            deduplicated._source_file = exceeding_refunds._source_file
            and deduplicated._source_row_number = exceeding_refunds._source_row_number
),

-- the store's UTC offset per zone and UTC day of the rows: a few time-zone
-- conversions instead of one per row (macros/cross_engine/dates.sql)
local_day_offsets as (
    {{ utc_day_offsets(
        '(select store_timezone as timezone, cast(refunded_at as date) as utc_day from checked_totals)'
    ) }}
),

final as (
    select
        checked_totals.store_id,
        checked_totals.refund_id,
        checked_totals.order_id,
        checked_totals.refunded_at,
        {{ local_date_from_offsets(
            'checked_totals.refunded_at', 'checked_totals.store_timezone', 'local_day_offsets'
        ) }}
            as refund_date,
        checked_totals.amount,
        checked_totals.rate_to_reporting,
        case
            when
                checked_totals.reject_reason is null
                and checked_totals.exceeds_order
                then 'refund_exceeds_order'
            else checked_totals.reject_reason
        end as reject_reason,
        checked_totals._source_file,
        checked_totals._source_row_number
    from checked_totals
    left join local_day_offsets
        on {{ utc_day_offsets_join(
            'checked_totals.refunded_at', 'checked_totals.store_timezone', 'local_day_offsets'
        ) }}
)

select * from final
