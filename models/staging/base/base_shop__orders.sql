{{ config(materialized='table') }}

{#
    Every raw order row, typed, with its reject_reason (null = accepted).
    Reasons are checked in the order below; a row gets the first that applies.
    stg_shop__orders selects the accepted rows, stg_shop__rejects the others.
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

typed as (
    select
        _source_file,
        _source_row_number,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('ordered_at', raw_types) }} as ordered_at,
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
    from source
),

with_currency as (
    select
        typed.*,
        -- the contract's default: the store's currency, else the reporting one
        coalesce(
            typed.currency_code, stores.currency, upper('{{ var("reporting_currency") }}')
        ) as currency
    from typed
    left join stores
        on typed.store_id = stores.store_id
),

with_fx as (
    select
        with_currency.*,
        known_currencies.currency is not null as is_known_currency,
        fx_rates.rate_to_reporting
    from with_currency
    left join known_currencies
        on with_currency.currency = known_currencies.currency
    left join fx_rates
        on
            with_currency.currency = fx_rates.currency
            and {{ month_start('with_currency.ordered_at') }} = fx_rates.month
),

checked as (
    select
        *,
        case
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
        cast(ordered_at as date) as order_date,
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
