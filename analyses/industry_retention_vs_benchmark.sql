-- How does our retention compare with our industry? CRR per segment for the
-- last complete year, against the published benchmark where one exists.

with retention as (
    select * from {{ ref('rpt_retention_by_industry') }}
),

complete_years as (
    select *
    from retention
    where period_grain = 'year' and is_complete and crr is not null
),

latest_year as (
    select max(period_start) as period_start
    from complete_years
),

final as (
    select
        complete_years.industry_segment,
        complete_years.period_start,
        complete_years.customers_start,
        complete_years.customers_end,
        complete_years.new_customers,
        complete_years.crr,
        complete_years.churn_rate,
        complete_years.benchmark_retention_rate,
        complete_years.crr_minus_benchmark,
        complete_years.is_like_for_like_benchmark
    from complete_years
    inner join latest_year
        on complete_years.period_start = latest_year.period_start
)

select * from final
order by crr desc
