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
        previous measured span;
      retained_from: the first period in which the span counts as retained
        (active at the start and at the end): its first when the previous
        span covered the period before, else the next one.
    Written once for fct_retention_periods and rpt_loyalty_retention, so that
    their counts reconcile.
#}
{% macro measured_period_runs(spans, grains) -%}
    {#- the customer's previous measured span, at every grain in one window
        over the spans (one sort of spans, not of spans x grains: a third of
        the rows, and most of both marts' time before) -#}
    {%- set previous_spans -%}
        partition by store_id, customer_id
        order by span_number
        rows between unbounded preceding and 1 preceding
    {%- endset -%}
    select
        spans_with_previous.*,
        {{ grains }}.period_grain,
        {{ grains }}.months_per_period,
        {%- for column in ['first_period', 'last_period', 'previous_span_last_period'] %}
            case {{ grains }}.months_per_period
                {%- for months in period_grain_months().values() %}
                    when {{ months }} then spans_with_previous.{{ column }}_{{ months }}
                {%- endfor %}
            end as {{ column }},
        {%- endfor %}
        case {{ grains }}.months_per_period
            {%- for months in period_grain_months().values() %}
                when {{ months }} then
                    case
                        when
                            spans_with_previous.previous_span_last_period_{{ months }}
                            = spans_with_previous.first_period_{{ months }} - 1
                            then spans_with_previous.first_period_{{ months }}
                        else spans_with_previous.first_period_{{ months }} + 1
                    end
            {%- endfor %}
        end as retained_from,
        {{ month_index('spans_with_previous.first_purchase_date') }}
        {{ integer_division_operator() }} {{ grains }}.months_per_period as first_purchase_period,
        case {{ grains }}.months_per_period
            {%- for months in period_grain_months().values() %}
                when {{ months }} then
                    case
                        when spans_with_previous.last_period_{{ months }} >= spans_with_previous.first_period_{{ months }}
                            then 1
                        else 0
                    end
            {%- endfor %}
        end as is_measured
    from (
        select
            spans_in_periods.*,
            {%- for months in period_grain_months().values() %}
                max(
                    case
                        when last_period_{{ months }} >= first_period_{{ months }}
                            then last_period_{{ months }}
                    end
                ) over ({{ previous_spans }}) as previous_span_last_period_{{ months }}
                {{- ',' if not loop.last }}
            {%- endfor %}
        from (
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
        ) as spans_in_periods
    ) as spans_with_previous
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
