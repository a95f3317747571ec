{#
    First-span survival counts (docs/metrics.md, forward-looking metrics): one
    row per store x acquisition cohort_month x survival_period k, for k from
    0 to the last period of the mart (observed or forecast).

    A customer's first activity span ends W - 1 days after the last purchase
    before its first gap longer than W days (W = active_window_days). The
    customer survives k periods when that span is still active on the day
    first_purchase_date + k x survival_period_months. Row k of a cohort is
    observed when the last day of the cohort month plus k periods is on or
    before as_of_date (k = 0 always): then every customer of the cohort is past its own
    k-th anniversary and surviving_customers is exact; later rows are left
    for the sBG forecast (surviving_customers null).
#}

with first_spans as (
    -- one row per customer: its first activity span
    select * from {{ ref('int_customer_activity_spans') }}
    where span_number = 1
),

customers as (
    select
        store_id,
        customer_id,
        industry_segment,
        first_purchase_date,
        active_until,
        cast({{ dbt.date_trunc('month', 'first_purchase_date') }} as date) as cohort_month,
        {{ months_between('first_purchase_date', 'active_until') }}
        {{ integer_division_operator() }} {{ var('survival_period_months') }} as candidate_periods
    from first_spans
),

-- whole periods survived: the largest k with first purchase + k periods <= active_until
-- (the month difference counts month boundaries, so the candidate is at most one too many)
customers_survived as (
    select
        *,
        candidate_periods
        - case
            when
                {{ dbt.dateadd(
                    'month', 'candidate_periods * ' ~ var('survival_period_months'), 'first_purchase_date'
                ) }}
                > active_until
                then 1
            else 0
        end as survived_periods
    from customers
),

survived_counts as (
    select
        store_id,
        cohort_month,
        survived_periods,
        count(*) as customers
    from customers_survived
    group by store_id, cohort_month, survived_periods
),

cohorts as (
    select
        store_id,
        min(industry_segment) as industry_segment,
        cohort_month,
        count(*) as cohort_size
    from customers_survived
    group by store_id, cohort_month
),

-- every cohort gets rows 0..last_period: the forecast horizon, or further when older
-- cohorts have been observed for longer
horizon as (
    select
        greatest(
            {{ var('survival_forecast_periods') }},
            coalesce(
                max({{ months_between('cohort_month', as_of_date()) }}), 0
            ) {{ integer_division_operator() }} {{ var('survival_period_months') }}
        ) as last_period
    from cohorts
),

spine as (
    select
        cohorts.store_id,
        cohorts.industry_segment,
        cohorts.cohort_month,
        cohorts.cohort_size,
        {{ unnest_series('0', 'horizon.last_period') }} as survival_period
    from cohorts
    cross join horizon
),

observed_flags as (
    select
        *,
        -- k = 0: everyone survives, also in the (incomplete) month of as_of_date
        survival_period = 0
        or {{ dbt.dateadd(
            'month',
            'survival_period * ' ~ var('survival_period_months'),
            '(' ~ dbt.dateadd('month', '1', 'cohort_month') ~ ' - interval 1 day)'
        ) }} <= {{ as_of_date() }} as is_observed
    from spine
),

final as (
    select
        observed_flags.store_id,
        observed_flags.industry_segment,
        observed_flags.cohort_month,
        cast(observed_flags.survival_period as integer) as survival_period,
        cast(observed_flags.cohort_size as bigint) as cohort_size,
        observed_flags.is_observed,
        cast(
            case
                when observed_flags.is_observed
                    then coalesce(sum(survived_counts.customers), 0)
            end
            as bigint
        ) as surviving_customers
    from observed_flags
    left join survived_counts
        on
            observed_flags.store_id = survived_counts.store_id
            and observed_flags.cohort_month = survived_counts.cohort_month
            and observed_flags.survival_period <= survived_counts.survived_periods
    group by
        observed_flags.store_id,
        observed_flags.industry_segment,
        observed_flags.cohort_month,
        observed_flags.survival_period,
        observed_flags.cohort_size,
        observed_flags.is_observed
)

select * from final
