{#
    measured_period_runs(spans, grains): the activity spans of `spans` (a
    relation or CTE with int_customer_activity_spans' columns; extra columns
    pass through) mapped onto the periods of each grain of `grains`
    (period_grain, months_per_period). One row per span x grain with:
      first_period / last_period: the contiguous run of period indexes
        (months since year 0 div months per period) whose measurement day
        least(period_end, as_of_date) the span contains;
      first_purchase_period: the period of the customer's first purchase;
      is_measured: 1 when the run is not empty (a span shorter than a period,
        between two measurement days, counts in no S, E or retained);
      previous_span_last_period: the last period covered by the customer's
        previous measured span.
    Written once for fct_retention_periods and rpt_loyalty_retention, so that
    their counts reconcile.
#}
{% macro measured_period_runs(spans, grains) -%}
    select
        *,
        case when last_period >= first_period then 1 else 0 end as is_measured,
        max(case when last_period >= first_period then last_period end) over (
            partition by store_id, customer_id, period_grain
            order by span_number
            rows between unbounded preceding and 1 preceding
        ) as previous_span_last_period
    from (
        select
            {{ spans }}.*,
            {{ grains }}.period_grain,
            {{ grains }}.months_per_period,
            (year({{ spans }}.active_from) * 12 + month({{ spans }}.active_from) - 1)
            {{ integer_division_operator() }} {{ grains }}.months_per_period as first_period,
            (
                year({{ spans }}.first_purchase_date) * 12
                + month({{ spans }}.first_purchase_date) - 1
            ) {{ integer_division_operator() }} {{ grains }}.months_per_period as first_purchase_period,
            case
                when {{ spans }}.active_until >= {{ as_of_date() }}
                    then
                        (year({{ as_of_date() }}) * 12 + month({{ as_of_date() }}) - 1)
                        {{ integer_division_operator() }} {{ grains }}.months_per_period
                else
                    (
                        year({{ spans }}.active_until + 1) * 12
                        + month({{ spans }}.active_until + 1) - 1
                    ) {{ integer_division_operator() }} {{ grains }}.months_per_period - 1
            end as last_period
        from {{ spans }}
        cross join {{ grains }}
    ) as spans_in_periods
{%- endmacro %}


{#
    period_grains(): the period grains of the retention marts, one row each
    (period_grain, months_per_period): month, quarter, year.
#}
{% macro period_grains() -%}
    select
        'month' as period_grain,
        1 as months_per_period
    union all
    select
        'quarter' as period_grain,
        3 as months_per_period
    union all
    select
        'year' as period_grain,
        12 as months_per_period
{%- endmacro %}
