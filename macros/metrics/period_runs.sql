{#
    spans_with_previous_measured(spans): the activity spans of `spans` (a
    relation or CTE with int_customer_activity_spans' columns; extra columns
    pass through), one row per span, with per grain of period_grain_months()
    (suffix _1, _3, _12):
      first_period_<m> / last_period_<m>: the contiguous run of period
        indexes (months since year 0 div months per period) whose
        measurement day least(period_end, as_of_date) the span contains
        (empty when last < first: a span shorter than a period, between two
        measurement days);
      previous_span_last_period_<m>: the last period covered by the
        customer's previous measured span (null for a first span).
    Only customers with a second span need a window over their spans (at
    10M orders 178,728 of 2.4M customers): the others' only span has no
    previous one, and has_later_span tells them apart without a join.
    `spans` is read twice (declare a CTE over a table not materialized).
#}
{% macro spans_with_previous_measured(spans) -%}
    {%- set spans_in_periods -%}
        select
            {{ spans }}.*,
            {%- for months in period_grain_months().values() %}
                {{ month_index(spans ~ '.active_from') }}
                {{ integer_division_operator() }} {{ months }} as first_period_{{ months }},
                case
                    when {{ spans }}.active_until >= {{ as_of_date() }}
                        then
                            {{ month_index(as_of_date()) }}
                            {{ integer_division_operator() }} {{ months }}
                    else
                        {{ month_index('(' ~ spans ~ '.active_until + 1)') }}
                        {{ integer_division_operator() }} {{ months }} - 1
                end as last_period_{{ months }}
                {{- ',' if not loop.last }}
            {%- endfor %}
        from {{ spans }}
    {%- endset -%}
    {#- a span of a customer with several spans (an unknown has_later_span
        counts as one: exact, only slower); the other path takes the rest -#}
    {%- set has_several_spans -%}
        (spans_in_periods.span_number > 1 or coalesce(spans_in_periods.has_later_span, true))
    {%- endset -%}
    -- customers with several spans: the previous measured span, at every
    -- grain in one window over their spans
    select
        spans_in_periods.*,
        {%- for months in period_grain_months().values() %}
            max(
                case
                    when spans_in_periods.last_period_{{ months }} >= spans_in_periods.first_period_{{ months }}
                        then spans_in_periods.last_period_{{ months }}
                end
            ) over (
                partition by spans_in_periods.store_id, spans_in_periods.customer_id
                order by spans_in_periods.span_number
                rows between unbounded preceding and 1 preceding
            ) as previous_span_last_period_{{ months }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    from ({{ spans_in_periods }}) as spans_in_periods
    where {{ has_several_spans }}
    union all
    -- the other customers' only span
    select
        spans_in_periods.*,
        {%- for months in period_grain_months().values() %}
            cast(null as {{ dbt.type_bigint() }}) as previous_span_last_period_{{ months }}
            {{- ',' if not loop.last }}
        {%- endfor %}
    from ({{ spans_in_periods }}) as spans_in_periods
    where not {{ has_several_spans }}
{%- endmacro %}


{#
    measured_period_runs(spans, grains): the spans of `spans` (rows of
    spans_with_previous_measured(); extra columns pass through) mapped onto
    the periods of each grain of `grains` (period_grain, months_per_period).
    One row per span x grain with:
      first_period / last_period: the span's run of periods at that grain;
      first_purchase_period: the period of the customer's first purchase;
      is_measured: 1 when the run is not empty (a span shorter than a period,
        between two measurement days, counts in no S, E or retained);
      previous_span_last_period: the last period covered by the customer's
        previous measured span;
      retained_from: the first period in which the span counts as retained
        (active at the start and at the end): its first when the previous
        span covered the period before, else the next one.
    Written once for fct_retention_periods and rpt_loyalty_retention, so that
    their counts reconcile.
#}
{% macro measured_period_runs(spans, grains) -%}
    select
        {{ spans }}.*,
        {{ grains }}.period_grain,
        {{ grains }}.months_per_period,
        {%- for column in ['first_period', 'last_period', 'previous_span_last_period'] %}
            case {{ grains }}.months_per_period
                {%- for months in period_grain_months().values() %}
                    when {{ months }} then {{ spans }}.{{ column }}_{{ months }}
                {%- endfor %}
            end as {{ column }},
        {%- endfor %}
        case {{ grains }}.months_per_period
            {%- for months in period_grain_months().values() %}
                when {{ months }} then
                    case
                        when
                            {{ spans }}.previous_span_last_period_{{ months }}
                            = {{ spans }}.first_period_{{ months }} - 1
                            then {{ spans }}.first_period_{{ months }}
                        else {{ spans }}.first_period_{{ months }} + 1
                    end
            {%- endfor %}
        end as retained_from,
        {{ month_index(spans ~ '.first_purchase_date') }}
        {{ integer_division_operator() }} {{ grains }}.months_per_period as first_purchase_period,
        case {{ grains }}.months_per_period
            {%- for months in period_grain_months().values() %}
                when {{ months }} then
                    case
                        when {{ spans }}.last_period_{{ months }} >= {{ spans }}.first_period_{{ months }}
                            then 1
                        else 0
                    end
            {%- endfor %}
        end as is_measured
    from {{ spans }}
    cross join {{ grains }}
{%- endmacro %}


{#
    period_grain_months(): the period grains of the retention marts and
    their months per period, {grain: months}: month 1, quarter 3, year 12.
#}
{% macro period_grain_months() -%}
    {{ return({'month': 1, 'quarter': 3, 'year': 12}) }}
{%- endmacro %}


{#
    period_grains(): the period grains of the retention marts, one row each
    (period_grain, months_per_period): month, quarter, year.
#}
{% macro period_grains() -%}
    {%- for grain, months in period_grain_months().items() %}
        select
            '{{ grain }}' as period_grain,
            {{ months }} as months_per_period
        {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#
    span_run_counts(): select-list items over measured_period_runs rows
    grouped by run of periods: measured_spans (spans whose run is not
    empty), new_customers (of those, the spans holding the customer's
    first purchase period) and acquired_customers (first spans, measured
    or not). One home for fct_retention_periods and rpt_loyalty_retention,
    so that their counts reconcile.
#}
{% macro span_run_counts() -%}
    sum(is_measured) as measured_spans,
    sum(case when first_period = first_purchase_period then is_measured else 0 end) as new_customers,
    sum(case when span_number = 1 then 1 else 0 end) as acquired_customers
{%- endmacro %}
