{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_bucket'],
    incremental_inputs=['raw_orders'],
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

with source as (
    select * from {{ ref('raw_orders') }}
),

raw_buckets as (
    -- fingerprint: every raw column and the row number (the path is the bucket's)
    select
        source._source_file,
        {{ raw_order_bucket('source') }} as _bucket,
        cast(count(*) as {{ dbt.type_string() }}) || ':'
        || cast(sum(hash(*columns(* exclude (_source_file)))) as {{ dbt.type_string() }})
            as _bucket_fingerprint
    from source
    group by 1, 2
),

{% if is_incremental() -%}
/* build-mode { */
-- a bucket holding a row rejected as dated in the future is checked again
-- on every build: with var build_date null, the row may be valid today
published_buckets as (
    select
        _source_file,
        _bucket,
        case
            when not bool_or(coalesce(
                reject_reason = 'out_of_range_timestamp'
                and ordered_at >= cast('{{ var("min_valid_date", "1990-01-01") }}' as date), false
            ))
                then min(_bucket_fingerprint)
        end as _bucket_fingerprint
    from {{ this }}
    group by 1, 2
),

-- published buckets that are changed or gone: their rows are replaced
replaced_buckets as (
    select
        _source_file,
        _bucket
    from published_buckets
    where not exists (
        select 1 from raw_buckets
        where
            raw_buckets._source_file = published_buckets._source_file
            and raw_buckets._bucket = published_buckets._bucket
            and raw_buckets._bucket_fingerprint = published_buckets._bucket_fingerprint
    )
),
/* } build-mode */
{%- endif %}

-- new buckets and buckets whose rows changed (first build: every bucket)
changed_buckets as (
    select raw_buckets.*
    from raw_buckets
    {%- if is_incremental() %}
        /* build-mode { */
        where not exists (
            select 1 from published_buckets
            where
                published_buckets._source_file = raw_buckets._source_file
                and published_buckets._bucket = raw_buckets._bucket
                and published_buckets._bucket_fingerprint = raw_buckets._bucket_fingerprint
        )
        /* } build-mode */
    {%- endif %}
),

to_check as (
    select
        source.*,
        buckets._bucket,
        buckets._bucket_fingerprint
    from source
    inner join changed_buckets as buckets
        on
            source._source_file = buckets._source_file
            and {{ raw_order_bucket('source') }} = buckets._bucket
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

fx_rates as (
    select * from {{ ref('stg_fx_rates') }}
),

known_currencies as (
    select distinct currency from fx_rates
),

cleaned as (
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

typed as (
    select
        _source_file,
        _source_row_number,
        _bucket,
        _bucket_fingerprint,
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

with_currency as (
    select
        *,
        -- the contract's default: the store's currency, else the reporting one
        coalesce(currency_code, store_currency, upper('{{ var("reporting_currency") }}'))
            as currency
    from typed
),

with_fx as (
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

checked as (
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

hashed as (
    select
        *,
        {{ content_hash([
            'customer_id', 'ordered_at', 'status', 'currency', 'subtotal_amount',
            'discount_amount', 'shipping_amount', 'tax_amount', 'channel', 'device',
            'discount_code',
        ]) }} as _content_hash
    from checked
),

-- the zones and UTC days the checked rows hold, from the buckets (cheap: one
-- row per store and raw day): the bucket's raw day and the day either side
-- (a timestamp written with an offset can fall on another UTC day). Only
-- the cost depends on it: a row whose zone and day are missing gets its
-- date from a conversion of its own (macros/cross_engine/dates.sql)
day_shifts as (
    select -1 as day_shift
    union all
    select 0 as day_shift
    union all
    select 1 as day_shift
),

bucket_zone_days as (
    select
        stores.timezone,
        {{ dbt.dateadd('day', 'day_shifts.day_shift', "try_cast(right(changed_buckets._bucket, 10) as date)") }}
            as utc_day
    from changed_buckets
    inner join stores
        on {{ clean_text("split_part(changed_buckets._bucket, '|', 1)") }} = stores.store_id
    cross join day_shifts
),

-- the store's UTC offset per zone and UTC day: a few time-zone conversions
-- instead of one per row
local_day_offsets as (
    {{ utc_day_offsets('bucket_zone_days') }}
),

validated as (
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
        hashed.channel,
        hashed.device,
        hashed.discount_code,
        hashed.reject_reason,
        hashed._source_file,
        hashed._source_row_number,
        hashed._bucket,
        hashed._bucket_fingerprint,
        hashed._content_hash
    from hashed
    left join local_day_offsets
        on {{ utc_day_offsets_join('hashed.ordered_at', 'hashed.store_timezone', 'local_day_offsets') }}
),

{% if is_incremental() -%}
/* build-mode { */
-- keys whose copies may have changed: in a replaced bucket before, or in a
-- changed bucket now (rows that passed every check but the duplicate one)
affected_keys as (
    select
        store_id,
        order_id
    from validated
    where reject_reason is null
    union
    select
        published.store_id,
        published.order_id
    from {{ this }} as published
    inner join replaced_buckets
        on
            published._source_file = replaced_buckets._source_file
            and published._bucket = replaced_buckets._bucket
    where {{ before_duplicate_check('published.reject_reason', 'order_id') }} is null
),

-- unchanged buckets holding an affected key: re-emitted whole, re-flagged
touched_buckets as (
    select distinct
        published._source_file,
        published._bucket
    from {{ this }} as published
    inner join affected_keys
        on
            published.store_id = affected_keys.store_id
            and published.order_id = affected_keys.order_id
    where not exists (
        select 1 from replaced_buckets
        where
            replaced_buckets._source_file = published._source_file
            and replaced_buckets._bucket = published._bucket
    )
),

restored as (
    select
        {{ star_exclude('published', ['reject_reason']) }},
        {{ before_duplicate_check('published.reject_reason', 'order_id') }} as reject_reason
    from {{ this }} as published
    inner join touched_buckets
        on
            published._source_file = touched_buckets._source_file
            and published._bucket = touched_buckets._bucket
),

-- vanished buckets: one row each, deleted again by the post-hook
-- (delete+insert on the bucket removes the published rows first); its
-- reject_reason keeps it from passing for one of the deleted rows in the
-- changelog
tombstones as (
    select
        {{ star_exclude('published', ['_source_row_number', 'reject_reason']) }},
        cast(null as bigint) as _source_row_number,
        'vanished_bucket' as reject_reason
    from {{ this }} as published
    inner join replaced_buckets
        on
            published._source_file = replaced_buckets._source_file
            and published._bucket = replaced_buckets._bucket
    where not exists (
        select 1 from changed_buckets
        where
            changed_buckets._source_file = replaced_buckets._source_file
            and changed_buckets._bucket = replaced_buckets._bucket
    )
    qualify row_number() over (partition by published._source_file, published._bucket) = 1
),
/* } build-mode */
{%- endif %}

candidates as (
    select * from validated
    {%- if is_incremental() %}
        /* build-mode { */
        union all by name
        select * from restored
        /* } build-mode */
    {%- endif %}
),

deduplicated as (
    {{ flag_duplicates('candidates', ['store_id', 'order_id'], 'order_id', none, keep_hash=true) }}
),

final as (
    select * from deduplicated
    {%- if is_incremental() %}
        /* build-mode { */
        union all by name
        select * from tombstones
        /* } build-mode */
    {%- endif %}
)

select * from final
