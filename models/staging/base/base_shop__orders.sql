{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_bucket'],
    incremental_inputs=['raw_orders'],
    changed_raw_files='raw_orders',
    post_hook="{{ delete_bucket_tombstones() }}",
    changelog_keys=['store_id', 'order_id'],
    changelog_ignore=['_source_file', '_source_row_number', '_bucket', '_bucket_fingerprint'],
) }}

{#
    Every raw order row, typed, with its reject_reason (null = accepted).
    Reasons are checked in the order below; a row gets the first that applies
    (a date problem comes before any currency problem).
    stg_shop__orders selects the accepted rows, stg_shop__rejects the others.

    ordered_at stays in UTC; order_date is the store's local calendar date
    (stores.timezone, UTC when absent), so that days, months and cohorts
    match the store's own admin. An order in the reporting currency has
    rate 1 at any date; other currencies need a rate for the order's month
    (stg_fx_rates: the seed, overridden and extended by raw fx_rates).

    Incremental by bucket (DuckDB; DECISIONLOG.md "Incremental staging by
    bucket"): raw rows are grouped in buckets of one file, one raw store_id
    and one raw day (the first 10 characters of ordered_at as written),
    each with a fingerprint (row count and the sum of the rows' hashes,
    file row numbers included). A build re-validates only the buckets whose
    fingerprint changed, deletes the rows of vanished buckets, and
    re-flags duplicates for the order keys those buckets hold (with every
    other row of the same keys, taken from the table as it is). The keys whose
    rows it changed go to its changelog (meta.changes, read by fct_orders;
    macros/build_log/changelog.sql): a key rewritten with the same content
    (its bucket re-validated for another row) is no change, whatever its
    file, row number or bucket. Anything
    else this model reads (stores, FX rates, vars, its code) changing
    re-validates every bucket (macros/build_log/materializations.sql).
#}

{%- set raw_types = column_types(ref('raw_orders')) %}

with source as {{ not_materialized() }} (
    select * from {{ ref('raw_orders') }}
),

-- a bucket holding a row rejected as dated in the future is checked again
-- on every build: with var build_date null, the row may be valid today
{{ bucket_change_ctes(
    raw_day_bucket('source', 'ordered_at'),
    future_dated_reject(['ordered_at']),
    ['store_id', 'order_id'],
) }},

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

fx_rates as (
    select * from {{ ref('stg_fx_rates') }}
),

known_currencies as (
    select distinct currency from fx_rates
),

cleaned as {{ not_materialized() }} (
    select
        source.*,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        {{ clean_text('source.store_id') }} as clean_store_id,
        stores.timezone as store_timezone,
        stores.currency as store_currency
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
        has_wrong_field_count,
        store_timezone,
        store_currency,
        clean_store_id as store_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('ordered_at', raw_types, 'store_timezone') }} as ordered_at,
        {{ clean_code('status') }} as status,
        upper({{ clean_text('currency') }}) as currency_code,
        {{ parse_money('subtotal_amount') }} as subtotal_amount,
        {{ parse_money('discount_amount') }} as discount_amount,
        {{ parse_money('shipping_amount') }} as shipping_amount,
        {{ parse_money('tax_amount') }} as tax_amount,
        {{ clean_code('channel') }} as channel,
        {{ clean_code('device') }} as device,
        {{ clean_text('discount_code') }} as discount_code,
        (
            {{ failed_to_parse('discount_amount', parse_money('discount_amount'), raw_types) }}
            or {{ failed_to_parse('shipping_amount', parse_money('shipping_amount'), raw_types) }}
            or {{ failed_to_parse('tax_amount', parse_money('tax_amount'), raw_types) }}
        ) as has_unparseable_optional_amount
    from cleaned
),

with_currency as {{ not_materialized() }} (
    select
        *,
        -- the contract's default: the store's currency, else the reporting one
        coalesce(currency_code, store_currency, upper('{{ var("reporting_currency") }}'))
            as currency
    from typed
),

with_fx as {{ not_materialized() }} (
    select
        with_currency.*,
        {{ fx_rate_lookup('with_currency.currency', 'known_currencies.currency', 'fx_rates.rate_to_reporting') }}
    from with_currency
    left join known_currencies
        on with_currency.currency = known_currencies.currency
    left join fx_rates
        on
            with_currency.currency = fx_rates.currency
            and cast({{ dbt.date_trunc('month', 'with_currency.ordered_at') }} as date) = fx_rates.month
),

checked as {{ not_materialized() }} (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when store_id is null or order_id is null then 'missing_key'
            when ordered_at is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('ordered_at') }} then 'out_of_range_timestamp'
            when status is null
                or status not in ('completed', 'cancelled', 'refunded', 'pending')
                then 'unknown_status'
            when subtotal_amount is null or has_unparseable_optional_amount then 'invalid_amount'
            when subtotal_amount < 0
                or discount_amount < 0
                or shipping_amount < 0
                or tax_amount < 0
                then 'negative_amount'
            when coalesce(discount_amount, 0) > subtotal_amount then 'discount_exceeds_subtotal'
            when not is_known_currency then 'unknown_currency'
            when rate_to_reporting is null then 'missing_fx_rate'
            when subtotal_amount * rate_to_reporting > {{ var('max_plausible_order_amount') }}
                then 'implausible_amount'
        end as reject_reason
    from with_fx
),

hashed as {{ not_materialized() }} (
    select
        *,
        {{ content_hash([
            'customer_id', 'ordered_at', 'status', 'currency', 'subtotal_amount',
            'discount_amount', 'shipping_amount', 'tax_amount', 'channel', 'device',
            'discount_code',
        ]) }} as _content_hash
    from checked
),

{{ bucket_local_day_offsets() }},

validated as {{ not_materialized() }} (
    select
        hashed.store_id,
        hashed.order_id,
        hashed.customer_id,
        hashed.ordered_at,
        {{ local_date_from_offsets('hashed.ordered_at', 'hashed.store_timezone', 'local_day_offsets') }}
            as order_date,
        hashed.status,
        hashed.currency,
        hashed.rate_to_reporting,
        hashed.subtotal_amount,
        coalesce(hashed.discount_amount, 0) as discount_amount,
        coalesce(hashed.shipping_amount, 0) as shipping_amount,
        coalesce(hashed.tax_amount, 0) as tax_amount,
        -- reporting currency: computed once per validated row, so that
        -- stg_shop__orders, read by many models, computes nothing
        {{ accepted_reporting_amount('hashed.subtotal_amount', 'hashed') }} as subtotal_reporting,
        {{ accepted_reporting_amount('coalesce(hashed.discount_amount, 0)', 'hashed') }} as discount_reporting,
        {{ accepted_reporting_amount('coalesce(hashed.shipping_amount, 0)', 'hashed') }} as shipping_reporting,
        {{ accepted_reporting_amount('coalesce(hashed.tax_amount, 0)', 'hashed') }} as tax_reporting,
        hashed.channel,
        hashed.device,
        hashed.discount_code,
        hashed.reject_reason,
        {{ bucket_row_columns('hashed') }}
    from hashed
    left join local_day_offsets
        on {{ utc_day_offsets_join('hashed.ordered_at', 'hashed.store_timezone', 'local_day_offsets') }}
),

{{ bucket_candidates(['store_id', 'order_id'], 'order_id') }},

deduplicated as (
    {{ flag_duplicates(
        'candidates', ['store_id', 'order_id'], 'order_id', none, keep_hash=true, copies='candidate_copies'
    ) }}
),

final as (
    select * from deduplicated
    {{- bucket_tombstones() }}
)

select * from final
