{#
    Date arithmetic. Days or months between two dates, adding months and
    truncating to the month are dbt's own cross-database macros, used by
    the models: dbt.datediff(first, second, 'day' | 'month'),
    dbt.dateadd('month', n, date), dbt.date_trunc('month', date). This file
    holds what dbt lacks. Arguments are SQL expressions.
#}

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
