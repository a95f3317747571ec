{#
    The rfm_segments seed maps each of the 5 x 5 x 5 = 125 possible
    (R, F, M) score combinations to exactly one segment (fm = (F + M) / 2).
    Returns the combinations with zero or several matching seed rows.
#}
with scores as (
    select {{ unnest_series('1', '5') }} as score
),

combinations as (
    select
        recency.score as r,
        frequency.score as f,
        monetary.score as m
    from scores as recency
    cross join scores as frequency
    cross join scores as monetary
),

segment_map as (
    select * from {{ ref('rfm_segments') }}
),

matches as (
    select
        combinations.r,
        combinations.f,
        combinations.m,
        count(segment_map.rfm_segment) as matching_rows,
        {{ dbt.listagg('segment_map.rfm_segment', "', '") }} as segments
    from combinations
    left join segment_map
        on
            combinations.r between segment_map.r_min and segment_map.r_max
            and (combinations.f + combinations.m) / 2.0 between segment_map.fm_min and segment_map.fm_max
    group by combinations.r, combinations.f, combinations.m
)

select * from matches
where matching_rows != 1
