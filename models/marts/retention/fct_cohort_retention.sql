{#
    Acquisition cohorts per store: one row per store x cohort_month x
    months_since_first_order, the complete triangle from offset 0 to the
    month of as_of_date (zero rows where no cohort customer bought). It
    reads as_of_date's month only (as_of_month()): a build that moves
    as_of_date within the month skips it.
#}

with purchase_months as (
    select * from {{ ref('int_customer_purchase_months') }}
),

-- one row per store x cohort month x month offset: every customer has one
-- purchase month at offset 0 (the cohort size) and one row in each later
-- month with a purchase; first_repeat_customers counts the customers whose
-- second purchase falls at that offset
activity as (
    select
        store_id,
        cohort_month,
        months_since_first_order,
        min(industry_segment) as industry_segment,
        count(*) as active_customers,
        sum(net_revenue) as net_revenue,
        count(case when has_second_purchase then 1 end) as first_repeat_customers
    from purchase_months
    group by store_id, cohort_month, months_since_first_order
),

cohorts as (
    select
        store_id,
        cohort_month,
        industry_segment,
        active_customers as cohort_size
    from activity
    where months_since_first_order = 0
),

triangle as (
    select
        store_id,
        industry_segment,
        cohort_month,
        cohort_size,
        {{ unnest_series('0', months_between('cohort_month', as_of_month())) }}
            as months_since_first_order
    from cohorts
),

filled as (
    select
        triangle.*,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.net_revenue, 0) as net_revenue,
        sum(coalesce(activity.net_revenue, 0)) over running as cumulative_net_revenue,
        sum(coalesce(activity.first_repeat_customers, 0)) over running as repeat_customers,
        first_value(coalesce(activity.net_revenue, 0)) over running as acquisition_net_revenue
    from triangle
    left join activity
        on
            triangle.store_id = activity.store_id
            and triangle.cohort_month = activity.cohort_month
            and triangle.months_since_first_order = activity.months_since_first_order
    window running as (
        partition by triangle.store_id, triangle.cohort_month
        order by triangle.months_since_first_order
        rows between unbounded preceding and current row
    )
),

final as (
    select
        store_id,
        industry_segment,
        cast(cohort_month as date) as cohort_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        cast({{ dbt.dateadd('month', 'months_since_first_order', 'cohort_month') }} as date)
            as activity_month,
        cast(cohort_size as bigint) as cohort_size,
        cast(active_customers as bigint) as active_customers,
        cast({{ cohort_retention_rate('active_customers', 'cohort_size') }} as double) as retention_rate,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
        cast({{ net_revenue_per_customer('cumulative_net_revenue', 'cohort_size') }} as double)
            as cumulative_net_revenue_per_customer,
        cast(repeat_customers as bigint) as repeat_customers,
        cast({{ repeat_purchase_rate('repeat_customers', 'cohort_size') }} as double) as repeat_purchase_rate,
        cast({{ net_revenue_retention('net_revenue', 'acquisition_net_revenue') }} as double)
            as net_revenue_retention
    from filled
)

select * from final
