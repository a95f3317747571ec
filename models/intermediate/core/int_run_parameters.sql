{#
    One row: the parameters this build ran with (as_of_date resolved, the
    dbt vars of docs/configuration.md). Checks outside dbt read them from here
    instead of guessing, e.g. the Great Expectations suites check that no
    date in the marts is after as_of_date.
#}

with final as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ var('active_window_days') }} as integer) as active_window_days,
        cast({{ var('churn_risk_days') }} as integer) as churn_risk_days,
        cast('{{ var("reporting_currency") }}' as {{ dbt.type_string() }}) as reporting_currency,
        cast({{ var('clv_horizon_months') }} as integer) as clv_horizon_months,
        cast({{ var('annual_discount_rate') }} as double) as annual_discount_rate,
        cast({{ var('vip_top_share') }} as double) as vip_top_share
)

select * from final
