{{ config(materialized='table') }}

{# Every raw marketing-spend row with its reject_reason (null = accepted). #}

{%- set raw_types = column_types(ref('raw_marketing_spend')) %}

with source as (
    select * from {{ ref('raw_marketing_spend') }}
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

typed as (
    select
        _source_file,
        _source_row_number,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        {{ clean_text('store_id') }} as store_id,
        cast({{ dbt.date_trunc('month', parse_date('month', raw_types)) }} as date) as month,
        coalesce({{ clean_code('channel') }}, 'unknown') as channel,
        {{ parse_money('spend_amount') }} as spend_amount,
        upper({{ clean_text('currency') }}) as currency_code
    from source
),

with_fx as (
    select
        typed.*,
        coalesce(
            typed.currency_code, stores.currency, upper('{{ var("reporting_currency") }}')
        ) as currency,
        {{ fx_rate_lookup(
            "coalesce(typed.currency_code, stores.currency, upper('" ~ var('reporting_currency') ~ "'))",
            'known_currencies.currency',
            'fx_rates.rate_to_reporting'
        ) }}
    from typed
    left join stores
        on typed.store_id = stores.store_id
    left join known_currencies
        on coalesce(typed.currency_code, stores.currency, upper('{{ var("reporting_currency") }}'))
            = known_currencies.currency
    left join fx_rates
        on
            coalesce(typed.currency_code, stores.currency, upper('{{ var("reporting_currency") }}'))
            = fx_rates.currency
            and typed.month = fx_rates.month
),

checked as (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when store_id is null then 'missing_key'
            when month is null then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('month') }} then 'out_of_range_timestamp'
            when spend_amount is null then 'invalid_amount'
            when spend_amount < 0 then 'negative_amount'
            when not is_known_currency then 'unknown_currency'
            when rate_to_reporting is null then 'missing_fx_rate'
        end as reject_reason
    from with_fx
),

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id', 'month', 'channel'], 'spend_row',
        ['spend_amount', 'currency']
    ) }}
),

final as (
    select
        store_id,
        month,
        channel,
        spend_amount,
        currency,
        rate_to_reporting,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
