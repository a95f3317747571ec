{{ config(materialized='table') }}

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
#}

{%- set raw_types = column_types(ref('raw_orders')) %}

with source as (
    select * from {{ ref('raw_orders') }}
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
    from source
    left join stores
        on {{ clean_text('source.store_id') }} = stores.store_id
),

typed as (
    select
        _source_file,
        _source_row_number,
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

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id', 'order_id'], 'order_id',
        ['customer_id', 'ordered_at', 'status', 'currency', 'subtotal_amount',
         'discount_amount', 'shipping_amount', 'tax_amount', 'channel', 'device',
         'discount_code']
    ) }}
),

final as (
    select
        store_id,
        order_id,
        customer_id,
        ordered_at,
        {{ utc_to_local_date('ordered_at', 'store_timezone') }} as order_date,
        status,
        currency,
        rate_to_reporting,
        subtotal_amount,
        coalesce(discount_amount, 0) as discount_amount,
        coalesce(shipping_amount, 0) as shipping_amount,
        coalesce(tax_amount, 0) as tax_amount,
        channel,
        device,
        discount_code,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
