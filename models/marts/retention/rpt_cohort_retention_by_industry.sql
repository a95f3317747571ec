{#
    The cohort triangle of fct_cohort_retention rolled up over the stores of
    each industry segment: counts and money summed, rates recomputed from
    the sums (never averaged over stores).
#}

with store_cohorts as (
    select * from {{ ref('fct_cohort_retention') }}
),

summed as (
    select
        industry_segment,
        cohort_month,
        months_since_first_order,
        min(activity_month) as activity_month,
        count(*) as stores_count,
        sum(cohort_size) as cohort_size,
        sum(active_customers) as active_customers,
        sum(net_revenue) as net_revenue,
        sum(cumulative_net_revenue) as cumulative_net_revenue,
        sum(repeat_customers) as repeat_customers
    from store_cohorts
    group by industry_segment, cohort_month, months_since_first_order
),

final as (
    select
        industry_segment,
        cohort_month,
        months_since_first_order,
        activity_month,
        cast(stores_count as integer) as stores_count,
        cast(cohort_size as bigint) as cohort_size,
        cast(active_customers as bigint) as active_customers,
        cast({{ cohort_retention_rate('active_customers', 'cohort_size') }} as double) as retention_rate,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
        cast({{ net_revenue_per_customer('cumulative_net_revenue', 'cohort_size') }} as double)
            as cumulative_net_revenue_per_customer,
        cast(repeat_customers as bigint) as repeat_customers,
        cast({{ repeat_purchase_rate('repeat_customers', 'cohort_size') }} as double) as repeat_purchase_rate
    from summed
)

select * from final
