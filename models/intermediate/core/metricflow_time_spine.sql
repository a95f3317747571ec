{#
    The day spine MetricFlow needs (time_spine config in
    _core__models.yml): one row per day from 2015 to 2035, wide
    enough for any order history the warehouse takes in.
#}

with days as (
    select {{ unnest_series("date '2015-01-01'", "date '2035-12-31'", 'interval 1 day') }} as day_at
),

final as (
    select cast(day_at as date) as date_day
    from days
)

select * from final
