{#
    rpt_loyalty_retention splits the customers of every period by membership:
    members + others must equal fct_retention_periods, count by count.
    Returns the periods where they differ.
#}
with split as (
    select
        store_id,
        period_grain,
        period_start,
        sum(customers_start) as customers_start,
        sum(customers_end) as customers_end,
        sum(new_customers) as new_customers,
        sum(retained_customers) as retained_customers,
        sum(churned_customers) as churned_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(acquired_customers) as acquired_customers,
        count(*) as groups
    from {{ ref('rpt_loyalty_retention') }}
    group by store_id, period_grain, period_start
),

periods as (
    select * from {{ ref('fct_retention_periods') }}
)

select
    periods.store_id,
    periods.period_grain,
    periods.period_start,
    split.groups
from periods
left join split
    on
        periods.store_id = split.store_id
        and periods.period_grain = split.period_grain
        and periods.period_start = split.period_start
where
    split.groups is distinct from 2
    or split.customers_start != periods.customers_start
    or split.customers_end != periods.customers_end
    or split.new_customers != periods.new_customers
    or split.retained_customers != periods.retained_customers
    or split.churned_customers != periods.churned_customers
    or split.reactivated_customers != periods.reactivated_customers
    or split.acquired_customers != periods.acquired_customers
