{#
    Date arithmetic. Days between two dates, adding months and truncating
    to the month are dbt's own cross-database macros, used by the models:
    dbt.datediff(first, second, 'day'), dbt.dateadd('month', n, date),
    dbt.date_trunc('month', date). This file holds what dbt lacks or gets
    wrong. Arguments are SQL expressions.
#}

{# Month boundaries crossed from start_date to end_date (DuckDB's
   date_diff('month'): 2024-01-31 -> 2024-02-01 is 1). Not
   dbt.datediff(..., 'month'): on Spark it counts from months_between,
   which gives whole months between two month-ends, so 2024-01-31 ->
   2024-02-29 comes out 2 there and 1 on DuckDB. #}
{% macro months_between(start_date, end_date) -%}
    {{- return(adapter.dispatch('months_between', 'retention')(start_date, end_date)) -}}
{%- endmacro %}

{% macro default__months_between(start_date, end_date) -%}
    date_diff('month', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro spark__months_between(start_date, end_date) -%}
    (
        (year({{ end_date }}) * 12 + month({{ end_date }}))
        - (year({{ start_date }}) * 12 + month({{ start_date }}))
    )
{%- endmacro %}


{# month_start(x): first day of the month, kept only for the staging models
   that still call it (base_shop__orders) until they use
   dbt.date_trunc('month', x); delete it then. #}
{% macro month_start(value) -%}
    {{- return(adapter.dispatch('month_start', 'retention')(value)) -}}
{%- endmacro %}

{% macro default__month_start(value) -%}
    date_trunc('month', {{ value }})
{%- endmacro %}

{% macro spark__month_start(value) -%}
    trunc({{ value }}, 'MM')
{%- endmacro %}


{# make_date(year, month, day) is the same on DuckDB and Spark: no macro. #}
