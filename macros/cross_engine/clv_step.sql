{#
    clv_step_relation(name): the table of a CLV Python step.

    DuckDB runs the Python models int_clv_parameters_fitted and
    int_clv_unique_rows_scored inside dbt build: ref(name). dbt-spark's session
    method runs no Python model (they are disabled on Spark in
    dbt_project.yml); `python -m retention.spark.clv_step` runs the same
    retention.clv code between two dbt invocations and writes the tables
    that the source clv_spark_step declares (models/intermediate/
    models/intermediate/clv/_clv__spark_clv_step_sources.yml).
#}
{% macro clv_step_relation(name) -%}
    {{- return(adapter.dispatch('clv_step_relation', 'retention')(name)) -}}
{%- endmacro %}

{% macro default__clv_step_relation(name) -%}
    {{- return(ref(name)) -}}
{%- endmacro %}

{% macro spark__clv_step_relation(name) -%}
    {{- return(source('clv_spark_step', name)) -}}
{%- endmacro %}
