{#
    One row per industry segment with customers: the BG/NBD (time unit =
    day) and Gamma-Gamma parameters fitted in this build by
    int_clv_parameters_fitted (Python). Non-finite numbers of a failed fit
    become null here, and converged = false marks parameters that no
    prediction uses.
#}
with fitted as (
    select * from {{ clv_step_relation('int_clv_parameters_fitted') }}
),

final as (
    select
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(parameter_source as {{ dbt.type_string() }}) as parameter_source,
        cast(converged as boolean) as converged,
        cast(customers_fitted as bigint) as customers_fitted,
        cast(repeat_buyers_fitted as bigint) as repeat_buyers_fitted,
        cast(min_repeat_buyers as integer) as min_repeat_buyers,
        cast(case when {{ is_finite('r') }} then r end as double) as r,
        cast(case when {{ is_finite('alpha') }} then alpha end as double) as alpha,
        cast(case when {{ is_finite('a') }} then a end as double) as a,
        cast(case when {{ is_finite('b') }} then b end as double) as b,
        cast(case when {{ is_finite('p') }} then p end as double) as p,
        cast(case when {{ is_finite('q') }} then q end as double) as q,
        cast(case when {{ is_finite('gamma') }} then gamma end as double) as gamma,
        cast(case when {{ is_finite('log_likelihood') }} then log_likelihood end as double) as log_likelihood,
        cast(case when {{ is_finite('gg_log_likelihood') }} then gg_log_likelihood end as double) as gg_log_likelihood
    from fitted
)

select * from final
