{{ config(materialized='table') }}

{#
    Every row of the optional raw fx_rates table (your own monthly rates)
    with its reject_reason (null = accepted). `month` may be any date of
    the month; it is truncated to the first day.
#}

{%- set raw_types = column_types(ref('raw_fx_rates')) %}

with source as (
    select * from {{ ref('raw_fx_rates') }}
),

typed as (
    select
        _source_file,
        _source_row_number,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        upper({{ clean_text('currency') }}) as currency,
        cast({{ dbt.date_trunc('month', parse_date('month', raw_types)) }} as date) as month,
        try_cast({{ clean_text('rate_to_usd') }} as double) as rate_to_usd
    from source
),

checked as (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when currency is null then 'missing_key'
            when month is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('month') }} then 'out_of_range_timestamp'
            when rate_to_usd is null then 'invalid_amount'
            when rate_to_usd <= 0 then 'negative_amount'
        end as reject_reason
    from typed
),

deduplicated as (
    {{ flag_duplicates('checked', ['currency', 'month'], 'fx_rate', ['rate_to_usd']) }}
),

final as (
    select
        currency,
        month,
        rate_to_usd,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
