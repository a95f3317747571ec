{#
    First-span survival per industry_segment x cohort_month x
    survival_period: fct_cohort_survival summed over the segment's stores
    (counts summed, then the ratios; never an average of rates). Every
    store shares as_of_date, so a cohort month's row k is observed in all
    stores or in none. The fitted rate is the cohort-size-weighted mean of
    the stores' fitted S(k), i.e. the expected survivors of the fitted models
    over the summed cohort size.
#}

with survival as (
    select * from {{ ref('fct_cohort_survival') }}
),

final as (
    select
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(cohort_month as date) as cohort_month,
        cast(survival_period as integer) as survival_period,
        cast(count(*) as bigint) as stores,
        cast(sum(cohort_size) as bigint) as cohort_size,
        cast(sum(surviving_customers) as bigint) as surviving_customers,
        cast({{ divide('sum(surviving_customers)', 'sum(cohort_size)') }} as double) as survival_rate,
        cast(
            {{ divide(
                'sum(cohort_size * fitted_survival_rate)',
                'sum(case when fitted_survival_rate is not null then cohort_size end)'
            ) }}
            as double
        ) as fitted_survival_rate,
        cast(sum(forecast_surviving_customers) as double) as forecast_surviving_customers,
        cast(
            {{ divide(
                'sum(forecast_surviving_customers)',
                'sum(case when forecast_surviving_customers is not null then cohort_size end)'
            ) }}
            as double
        ) as forecast_survival_rate,
        cast(bool_and(is_forecast) as boolean) as is_forecast
    from survival
    group by industry_segment, cohort_month, survival_period
)

select * from final
