{#
    Period retention per store: one row per store x period_grain x
    period_start, from the period holding the store's first purchase to the
    period holding as_of_date (the last one may be incomplete).

    Cost grows with purchases, not with customers x days:
    1. activity spans come from int_customer_activity_spans (a purchase day
       p makes its customer active on [p, p + W - 1]; spans merge overlaps);
    2. a period is observed once, on its measurement day
       measured_on = least(period_end, as_of_date); S of a period is the
       measurement of the previous period (its end is the day before start);
    3. a span covers a contiguous run of periods [first_period, last_period]
       (those whose measurement day it contains); each span adds +1/-1
       events at the ends of that run and a running sum over the period
       index gives E, S and retained without visiting customer x period.
    4. returning_customer_rate (Shopify's admin figure, not a retention
       rate) counts purchases, not activity: customers with a purchase in
       the period, from int_customer_purchase_months (one row per customer
       x month with a purchase), returning when the customer's first
       purchase is in an earlier period.
#}

-- read by several CTEs: scanned by each, not copied (DuckDB would
-- materialise a CTE read more than once)
with activity_spans as {{ not_materialized() }} (
    select * from {{ ref('int_customer_activity_spans') }}
),

purchase_months as (
    select * from {{ ref('int_customer_purchase_months') }}
),

grains as (
    {{ period_grains() }}
),

-- customer purchase months that fall in the same periods at every grain,
-- counted once (at 10M orders 6.8M rows, 213,496 groups) before they are
-- repeated for every grain
purchase_month_groups as (
    select
        store_id,
        purchase_month,
        previous_purchase_month,
        cohort_month,
        count(*) as customer_months
    from purchase_months
    group by store_id, purchase_month, previous_purchase_month, cohort_month
),

-- each group in the periods of every grain
purchase_month_periods as (
    select
        purchase_month_groups.store_id,
        grains.period_grain,
        {{ month_index('purchase_month_groups.purchase_month') }}
        {{ integer_division_operator() }} grains.months_per_period as period_index,
        {{ month_index('purchase_month_groups.previous_purchase_month') }}
        {{ integer_division_operator() }} grains.months_per_period as previous_purchase_period,
        {{ month_index('purchase_month_groups.cohort_month') }}
        {{ integer_division_operator() }} grains.months_per_period as first_purchase_period,
        purchase_month_groups.customer_months
    from purchase_month_groups
    cross join grains
),

-- customers with a purchase in each period, counted in the first of their
-- purchase months there (the previous one lies in an earlier period), so
-- no distinct count; returning when the customer's first purchase is in an
-- earlier period
purchase_period_counts as (
    select
        store_id,
        period_grain,
        period_index,
        cast(sum(customer_months) as {{ dbt.type_bigint() }}) as purchasing_customers,
        cast(
            sum(case when period_index > first_purchase_period then customer_months else 0 end)
            as {{ dbt.type_bigint() }}
        ) as returning_customers
    from purchase_month_periods
    where previous_purchase_period is null or previous_purchase_period < period_index
    group by store_id, period_grain, period_index
),

-- each span's run of periods at every grain and the customer's previous
-- measured span (macros spans_with_previous_measured and
-- measured_period_runs, shared with rpt_loyalty_retention)
spans_with_previous as (
    {{ spans_with_previous_measured('activity_spans') }}
),

-- each span x grain: a span that contains no measurement day (shorter than
-- a period, between two measurement days) counts in no S, E or retained; it
-- can still hold the customer's acquisition
measured_spans as (
    {{ measured_period_runs('spans_with_previous', 'grains') }}
),

-- spans that cover the same run of periods emit the same events: one row
-- per store x grain x run (a few thousand) with the spans it stands for,
-- instead of events per span (millions)
span_runs as (
    select
        store_id,
        period_grain,
        first_period,
        last_period,
        retained_from,
        {{ span_run_counts() }}
    from measured_spans
    group by store_id, period_grain, first_period, last_period, retained_from
),

-- each run emits +1 / -1 events at its ends; a running sum over the period
-- index turns them into counts
span_events as (
    -- active at the end of each period first..last
    select
        store_id,
        period_grain,
        first_period as period_index,
        measured_spans as active_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    select
        store_id,
        period_grain,
        last_period + 1 as period_index,
        -measured_spans as active_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    -- active at the start of the periods after each of those (start = the
    -- previous period's end)
    select
        store_id,
        period_grain,
        first_period + 1 as period_index,
        0 as active_end,
        measured_spans as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    select
        store_id,
        period_grain,
        last_period + 2 as period_index,
        0 as active_end,
        -measured_spans as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    -- retained (active at start and end): from retained_from to the last
    -- period (when the range is empty the +1 and -1 cancel)
    select
        store_id,
        period_grain,
        retained_from as period_index,
        0 as active_end,
        0 as active_start,
        measured_spans as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    select
        store_id,
        period_grain,
        last_period + 1 as period_index,
        0 as active_end,
        0 as active_start,
        -measured_spans as retained,
        0 as new_customer,
        0 as acquired_customer
    from span_runs
    union all
    -- new: first purchase in the period and active at its end (the span
    -- measured there need not be the first: a lapse inside it); acquired:
    -- the customer's first span, in its first period
    select
        store_id,
        period_grain,
        first_period as period_index,
        0 as active_end,
        0 as active_start,
        0 as retained,
        new_customers as new_customer,
        acquired_customers as acquired_customer
    from span_runs
),

events_per_period as (
    select
        store_id,
        period_grain,
        period_index,
        sum(active_end) as active_end_delta,
        sum(active_start) as active_start_delta,
        sum(retained) as retained_delta,
        sum(new_customer) as new_customers,
        sum(acquired_customer) as acquired_customers
    from span_events
    group by store_id, period_grain, period_index
),

stores as (
    select
        store_id,
        min(industry_segment) as industry_segment,
        min(active_from) as first_purchase_date
    from activity_spans
    group by store_id
),

period_spine as (
    select
        stores.store_id,
        stores.industry_segment,
        grains.period_grain,
        grains.months_per_period,
        {{ unnest_series(
            month_index('stores.first_purchase_date')
            ~ ' ' ~ integer_division_operator() ~ ' grains.months_per_period',
            month_index(as_of_date())
            ~ ' ' ~ integer_division_operator() ~ ' grains.months_per_period'
        ) }} as period_index
    from stores
    cross join grains
),

running_counts as (
    select
        period_spine.store_id,
        period_spine.industry_segment,
        period_spine.period_grain,
        period_spine.months_per_period,
        period_spine.period_index,
        coalesce(events_per_period.new_customers, 0) as new_customers,
        coalesce(events_per_period.acquired_customers, 0) as acquired_customers,
        coalesce(purchase_period_counts.purchasing_customers, 0) as purchasing_customers,
        coalesce(purchase_period_counts.returning_customers, 0) as returning_customers,
        sum(coalesce(events_per_period.active_start_delta, 0)) over running as customers_start,
        sum(coalesce(events_per_period.active_end_delta, 0)) over running as customers_end,
        sum(coalesce(events_per_period.retained_delta, 0)) over running as retained_customers
    from period_spine
    left join events_per_period
        on
            period_spine.store_id = events_per_period.store_id
            and period_spine.period_grain = events_per_period.period_grain
            and period_spine.period_index = events_per_period.period_index
    left join purchase_period_counts
        on
            period_spine.store_id = purchase_period_counts.store_id
            and period_spine.period_grain = purchase_period_counts.period_grain
            and period_spine.period_index = purchase_period_counts.period_index
    window running as (
        partition by period_spine.store_id, period_spine.period_grain
        order by period_spine.period_index
        rows between unbounded preceding and current row
    )
),

with_dates as (
    select
        *,
        make_date(
            cast((period_index * months_per_period) {{ integer_division_operator() }} 12 as integer),
            cast((period_index * months_per_period) % 12 + 1 as integer),
            1
        ) as period_start
    from running_counts
),

final as (
    select
        store_id,
        industry_segment,
        period_grain,
        cast(period_start as date) as period_start,
        cast({{ dbt.dateadd('month', 'months_per_period', 'period_start') }} - interval 1 day as date) as period_end,
        cast(
            least({{ dbt.dateadd('month', 'months_per_period', 'period_start') }} - interval 1 day, {{ as_of_date() }})
            as date
        ) as measured_on,
        {{ dbt.dateadd('month', 'months_per_period', 'period_start') }} - interval 1 day <= {{ as_of_date() }}
            as is_complete,
        cast({{ var('active_window_days') }} as integer) as active_window_days,
        cast(customers_start as bigint) as customers_start,
        cast(customers_end as bigint) as customers_end,
        cast(new_customers as bigint) as new_customers,
        cast(retained_customers as bigint) as retained_customers,
        cast(customers_start - retained_customers as bigint) as churned_customers,
        cast(customers_end - retained_customers - new_customers as bigint) as reactivated_customers,
        cast(acquired_customers as bigint) as acquired_customers,
        cast(acquired_customers - new_customers as bigint) as new_customers_lapsed,
        cast(
            {{ customer_retention_rate('customers_start', 'customers_end', 'new_customers') }}
            as double
        ) as crr,
        cast(
            {{ churn_rate('customers_start - retained_customers', 'customers_start') }} as double
        ) as churn_rate,
        cast(purchasing_customers as bigint) as purchasing_customers,
        cast(returning_customers as bigint) as returning_customers,
        cast(
            {{ returning_customer_rate('returning_customers', 'purchasing_customers') }} as double
        ) as returning_customer_rate
    from with_dates
)

select * from final
