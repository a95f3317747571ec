{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_bucket'],
    incremental_inputs=['raw_customers'],
    changed_raw_files='raw_customers',
    post_hook="{{ delete_bucket_tombstones() }}",
) }}

{#
    Every raw customer row with its reject_reason (null = accepted). The
    e-mail arrives already hashed from the raw layer: no clear-text e-mail
    reaches any relation, rejects included.

    Incremental by bucket like base_shop__orders (DECISIONLOG.md
    "Incremental staging by bucket"; macros/staging/incremental_buckets.sql):
    buckets of one file, raw store_id and raw day of created_at; a build
    re-validates the buckets whose fingerprint changed (a customer added,
    removed or edited) and re-flags duplicates for the customer keys those
    buckets hold. Anything else it reads changing (stores, vars, its code)
    re-validates every bucket.
#}

{%- set raw_types = column_types(ref('raw_customers')) %}

with source as {{ not_materialized() }} (
    select * from {{ ref('raw_customers') }}
),

-- a bucket holding a row rejected as dated in the future is checked again
-- on every build: with var build_date null, the row may be valid today
{{ bucket_change_ctes(
    raw_day_bucket('source', 'created_at'),
    future_dated_reject(['created_at', 'loyalty_member_since']),
    ['store_id', 'customer_id'],
) }},

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
        clean_store_id as store_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('created_at', raw_types, 'store_timezone') }} as created_at,
        email_hash,
        upper({{ clean_text('country_code') }}) as country_code,
        {{ parse_boolean('accepts_marketing') }} as accepts_marketing,
        {{ parse_timestamp('loyalty_member_since', raw_types, 'store_timezone') }} as loyalty_member_since,
        (
            {{ failed_to_parse('created_at', parse_timestamp('created_at', raw_types, 'store_timezone'), raw_types) }}
            or {{ failed_to_parse(
                'loyalty_member_since', parse_timestamp('loyalty_member_since', raw_types, 'store_timezone'), raw_types
            ) }}
        ) as has_unparseable_timestamp,
        {{ failed_to_parse('accepts_marketing', parse_boolean('accepts_marketing'), raw_types) }}
            as has_unparseable_boolean
    from cleaned
),

checked as {{ not_materialized() }} (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when store_id is null or customer_id is null then 'missing_key'
            when has_unparseable_timestamp then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('created_at') }}
                or {{ timestamp_out_of_range('loyalty_member_since') }}
                then 'out_of_range_timestamp'
            when has_unparseable_boolean then 'invalid_value'
        end as reject_reason
    from typed
),

validated as {{ not_materialized() }} (
    select
        store_id,
        customer_id,
        created_at,
        email_hash,
        country_code,
        accepts_marketing,
        loyalty_member_since,
        reject_reason,
        _source_file,
        _source_row_number,
        _bucket,
        _bucket_fingerprint,
        _is_probe,
        {{ content_hash(['created_at', 'email_hash', 'country_code', 'accepts_marketing', 'loyalty_member_since']) }}
            as _content_hash
    from checked
),

{{ bucket_candidates(['store_id', 'customer_id'], 'customer') }},

deduplicated as (
    {{ flag_duplicates(
        'candidates', ['store_id', 'customer_id'], 'customer', none, keep_hash=true, copies='candidate_copies'
    ) }}
),

final as (
    select * from deduplicated
    {{- bucket_tombstones() }}
)

select * from final
