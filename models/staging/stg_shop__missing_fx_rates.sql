{#
    The orders and marketing-spend rows rejected as missing_fx_rate (or
    unknown_currency: a code that no rate table lists at all), with
    the currency and month whose rate is missing: the build summary and
    the reject warning list them, with how to supply them (a raw fx_rates
    table). Refunds are converted at their order's rate and never miss one.
#}
with orders as (
    select * from {{ ref('base_shop__orders') }}
    where reject_reason in ('missing_fx_rate', 'unknown_currency')
),

marketing_spend as (
    select * from {{ ref('base_shop__marketing_spend') }}
    where reject_reason in ('missing_fx_rate', 'unknown_currency')
),

final as (
    select
        'orders' as raw_table,
        currency,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as month,
        _source_file as source_file,
        _source_row_number as source_row_number,
        reject_reason
    from orders
    union all
    select
        'marketing_spend' as raw_table,
        currency,
        month,
        _source_file as source_file,
        _source_row_number as source_row_number,
        reject_reason
    from marketing_spend
)

select * from final
