{#
    Rate from each currency to the reporting currency (var reporting_currency)
    per month, triangulated through US dollars. Rates to USD come from the
    raw fx_rates table when it has the currency-month, else from the seed
    fx_rates (rough annual averages, a default only). US dollars are 1 at
    any date. A month without a rate for the reporting currency gives
    rate_to_reporting null: such orders are rejected as missing_fx_rate
    (orders in the reporting currency itself never need a rate).
#}
with seed_rates as (
    select * from {{ ref('fx_rates') }}
),

own_rates as (
    select * from {{ ref('stg_shop__fx_rates') }}
),

rates as (
    select
        coalesce(own_rates.currency, upper(seed_rates.currency)) as currency,
        coalesce(own_rates.month, seed_rates.month) as month,
        cast(coalesce(own_rates.rate_to_usd, seed_rates.rate_to_usd) as double) as rate_to_usd
    from own_rates
    full outer join seed_rates
        on
            own_rates.currency = upper(seed_rates.currency)
            and own_rates.month = seed_rates.month
    where coalesce(own_rates.currency, upper(seed_rates.currency)) != 'USD'
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
        rates.currency,
        rates.month,
        case
            when upper('{{ var("reporting_currency") }}') = 'USD' then rates.rate_to_usd
            else rates.rate_to_usd / reporting.reporting_rate_to_usd
        end as rate_to_reporting
    from rates
    left join reporting
        on rates.month = reporting.month
    union all
    -- US dollars: 1 USD = 1 USD at any date; one row per month where the
    -- reporting currency has a rate (every month when it is USD)
    select
        'USD' as currency,
        reporting.month,
        1 / reporting.reporting_rate_to_usd as rate_to_reporting
    from reporting
)

select * from final
