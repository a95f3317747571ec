{{ config(materialized='table') }}

{#
    Every raw store row with its reject_reason (null = accepted). The
    store keeps its own industry_segment code (lower-cased) whether or not
    the industry seed lists it: codes missing from the seed get null
    benchmarks, and the warning test
    assert_store_segments_have_benchmarks names them. A time zone must be
    an IANA name the engine knows (Europe/Berlin); a blank one means UTC.
#}

{%- set raw_types = column_types(ref('raw_stores')) %}

with source as (
    select * from {{ ref('raw_stores') }}
),

typed as (
    select
        _source_file,
        _source_row_number,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('store_name') }} as store_name,
        {{ clean_code('industry_segment') }} as industry_segment,
        upper({{ clean_text('currency') }}) as currency,
        upper({{ clean_text('country_code') }}) as country_code,
        {{ clean_text('timezone') }} as timezone
    from source
),

checked as (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when store_id is null then 'missing_key'
            when timezone is not null and not {{ is_known_timezone('timezone') }}
                then 'unknown_timezone'
        end as reject_reason
    from typed
),

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id'], 'store',
        ['store_name', 'industry_segment', 'currency', 'country_code', 'timezone']
    ) }}
),

final as (
    select
        store_id,
        store_name,
        {{ store_segment('industry_segment') }} as industry_segment,
        currency,
        country_code,
        timezone,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
