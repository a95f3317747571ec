{#
    First-span survival per store x acquisition cohort_month x
    survival_period k (docs/metrics.md, forward-looking metrics): observed rows
    (surviving_customers counted), then forecast rows up to
    survival_forecast_periods (or further for cohorts observed longer).

    sBG (Fader & Hardie 2007): fitted per store over all its cohorts
    (int_cohort_survival_fitted, retention.survival.sbg). The forecast of a
    cohort is conditional on what it showed: its survivors at its last
    observed period K times S(k) / S(K).
#}

with counts as (
    select * from {{ ref('int_cohort_survival_counted') }}
),

fitted as (
    select * from {{ ref('int_cohort_survival_fitted') }}
),

-- the cohort's last observed period and its survivors then (K = 0: the whole cohort)
last_observed as (
    select
        store_id,
        cohort_month,
        max(survival_period) as last_observed_period,
        -- survival never increases with k: the last observed count is the smallest
        min(surviving_customers) as last_observed_survivors
    from counts
    where is_observed
    group by store_id, cohort_month
),

joined as (
    select
        counts.*,
        fitted.sbg_alpha,
        fitted.sbg_beta,
        fitted.sbg_is_geometric_limit,
        fitted.fitted_survival_rate,
        fitted.expected_remaining_lifetime,
        last_observed.last_observed_period,
        last_observed.last_observed_survivors,
        fitted_at_last.fitted_survival_rate as fitted_survival_rate_at_last_observed
    from counts
    inner join last_observed
        on
            counts.store_id = last_observed.store_id
            and counts.cohort_month = last_observed.cohort_month
    left join fitted
        on
            counts.store_id = fitted.store_id
            and counts.survival_period = fitted.survival_period
    left join fitted as fitted_at_last
        on
            last_observed.store_id = fitted_at_last.store_id
            and last_observed.last_observed_period = fitted_at_last.survival_period
),

final as (
    select
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(cohort_month as date) as cohort_month,
        cast(survival_period as integer) as survival_period,
        cast(cohort_size as bigint) as cohort_size,
        cast(surviving_customers as bigint) as surviving_customers,
        cast({{ divide('surviving_customers', 'cohort_size') }} as double) as survival_rate,
        cast(sbg_alpha as double) as sbg_alpha,
        cast(sbg_beta as double) as sbg_beta,
        cast(sbg_is_geometric_limit as boolean) as sbg_is_geometric_limit,
        cast(fitted_survival_rate as double) as fitted_survival_rate,
        cast(
            case
                when not is_observed
                    then last_observed_survivors * fitted_survival_rate / fitted_survival_rate_at_last_observed
            end
            as double
        ) as forecast_surviving_customers,
        cast(
            case
                when not is_observed
                    then
                        last_observed_survivors * fitted_survival_rate
                        / fitted_survival_rate_at_last_observed / cohort_size
            end
            as double
        ) as forecast_survival_rate,
        cast(expected_remaining_lifetime as double) as expected_remaining_lifetime,
        cast(last_observed_period as integer) as last_observed_period,
        cast(not is_observed as boolean) as is_forecast
    from joined
)

select * from final
