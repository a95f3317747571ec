{#
    Period retention per industry segment: the counts of
    fct_retention_periods summed over the segment's stores, CRR and churn
    rate recomputed from the sums, next to the segment's published benchmark.
    crr_minus_benchmark is filled on complete yearly periods only: the
    benchmarks are annual figures.
#}

with store_periods as (
    select * from {{ ref('fct_retention_periods') }}
),

industry_segments as (
    select * from {{ ref('industry_segments') }}
),

summed as (
    select
        industry_segment,
        period_grain,
        period_start,
        min(period_end) as period_end,
        min(measured_on) as measured_on,
        bool_and(is_complete) as is_complete,
        min(active_window_days) as active_window_days,
        count(*) as stores_count,
        sum(customers_start) as customers_start,
        sum(customers_end) as customers_end,
        sum(new_customers) as new_customers,
        sum(retained_customers) as retained_customers,
        sum(churned_customers) as churned_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(acquired_customers) as acquired_customers,
        sum(new_customers_lapsed) as new_customers_lapsed,
        sum(purchasing_customers) as purchasing_customers,
        sum(returning_customers) as returning_customers
    from store_periods
    group by industry_segment, period_grain, period_start
),

with_rates as (
    select
        summed.*,
        {{ customer_retention_rate(
            'summed.customers_start', 'summed.customers_end', 'summed.new_customers'
        ) }} as crr,
        {{ churn_rate('summed.churned_customers', 'summed.customers_start') }} as churn_rate,
        {{ returning_customer_rate(
            'summed.returning_customers', 'summed.purchasing_customers'
        ) }} as returning_customer_rate,
        industry_segments.benchmark_retention_rate,
        industry_segments.benchmark_definition,
        industry_segments.benchmark_window,
        coalesce(industry_segments.benchmark_is_standard_crr, false) as benchmark_is_standard_crr,
        industry_segments.benchmark_source,
        industry_segments.benchmark_year
    from summed
    left join industry_segments
        on summed.industry_segment = industry_segments.industry_segment
),

final as (
    select
        industry_segment,
        period_grain,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(measured_on as date) as measured_on,
        is_complete,
        cast(active_window_days as integer) as active_window_days,
        cast(stores_count as integer) as stores_count,
        cast(customers_start as bigint) as customers_start,
        cast(customers_end as bigint) as customers_end,
        cast(new_customers as bigint) as new_customers,
        cast(retained_customers as bigint) as retained_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(reactivated_customers as bigint) as reactivated_customers,
        cast(acquired_customers as bigint) as acquired_customers,
        cast(new_customers_lapsed as bigint) as new_customers_lapsed,
        cast(crr as double) as crr,
        cast(churn_rate as double) as churn_rate,
        cast(purchasing_customers as bigint) as purchasing_customers,
        cast(returning_customers as bigint) as returning_customers,
        cast(returning_customer_rate as double) as returning_customer_rate,
        cast(benchmark_retention_rate as double) as benchmark_retention_rate,
        cast(benchmark_definition as {{ dbt.type_string() }}) as benchmark_definition,
        cast(benchmark_window as {{ dbt.type_string() }}) as benchmark_window,
        benchmark_is_standard_crr,
        cast(benchmark_source as {{ dbt.type_string() }}) as benchmark_source,
        cast(benchmark_year as integer) as benchmark_year,
        cast(
            case
                when period_grain = 'year' and is_complete then crr - benchmark_retention_rate
            end as double
        ) as crr_minus_benchmark,
        period_grain = 'year' and is_complete and benchmark_is_standard_crr
            as is_like_for_like_benchmark
    from with_rates
)

select * from final
