{#
    Rate from each currency to the reporting currency (var reporting_currency)
    per month, triangulated through US dollars: the seed holds rates to USD.
#}
with rates as (
    select * from {{ ref('fx_rates') }}
),

reporting as (
    select
        month,
        rate_to_usd as reporting_rate_to_usd
    from rates
    where currency = upper('{{ var("reporting_currency") }}')
),

final as (
    select
        upper(rates.currency) as currency,
        rates.month,
        rates.rate_to_usd / reporting.reporting_rate_to_usd as rate_to_reporting
    from rates
    inner join reporting
        on rates.month = reporting.month
)

select * from final
