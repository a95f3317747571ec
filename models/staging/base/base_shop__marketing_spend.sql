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
        {{ clean_text('store_id') }} as store_id,
        cast({{ month_start(parse_date('month', raw_types)) }} as date) as month,
        coalesce({{ clean_code('channel') }}, 'unknown') as channel,
        {{ parse_money('spend_amount') }} as spend_amount,
        upper({{ clean_text('currency') }}) as currency_code
    from source
),

checked as (
    select
        typed.*,
        coalesce(
            typed.currency_code, stores.currency, upper('{{ var("reporting_currency") }}')
        ) as currency,
        fx_rates.rate_to_reporting,
        case
            when typed.store_id is null then 'missing_key'
            when typed.month is null then 'unparseable_timestamp'
            when typed.month < date '1990-01-01' or typed.month >= date '2100-01-01'
                then 'out_of_range_timestamp'
            when typed.spend_amount is null then 'invalid_amount'
            when typed.spend_amount < 0 then 'negative_amount'
            when known_currencies.currency is null then 'unknown_currency'
            when fx_rates.rate_to_reporting is null then 'missing_fx_rate'
        end as reject_reason
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
