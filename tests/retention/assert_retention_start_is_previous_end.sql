{#
    S of a period is E of the previous period of the same store and grain
    (the previous period ends on the day before the start); the store's
    first period starts with S = 0. Rows returned are failures.
#}

with periods as (
    select * from {{ ref('fct_retention_periods') }}
),

with_previous as (
    select
        store_id,
        period_grain,
        period_start,
        customers_start,
        lag(customers_end) over (
            partition by store_id, period_grain
            order by period_start
        ) as previous_customers_end,
        lag(period_end) over (
            partition by store_id, period_grain
            order by period_start
        ) as previous_period_end
    from periods
),

final as (
    select *
    from with_previous
    where
        customers_start != coalesce(previous_customers_end, 0)
        or previous_period_end != period_start - 1
)

select * from final
