{#
    Series and star-exclusion: DuckDB and Spark both have them under
    different names and dbt has no macro for them (lists and text
    aggregation are dbt's: dbt.array_construct, dbt.listagg). Arguments are
    SQL expressions.
#}

{# One row per integer in [start, stop] (a select-list item). #}
{% macro unnest_series(start, stop, step=none) -%}
    {{- return(adapter.dispatch('unnest_series', 'retention')(start, stop, step)) -}}
{%- endmacro %}

{% macro default__unnest_series(start, stop, step) -%}
    unnest(generate_series({{ start }}, {{ stop }}{{ ", " ~ step if step }}))
{%- endmacro %}

{% macro spark__unnest_series(start, stop, step) -%}
    explode(sequence({{ start }}, {{ stop }}{{ ", " ~ step if step }}))
{%- endmacro %}


{# relation.* without the listed columns (select-list item). #}
{% macro star_exclude(relation, columns) -%}
    {{- return(adapter.dispatch('star_exclude', 'retention')(relation, columns)) -}}
{%- endmacro %}

{% macro default__star_exclude(relation, columns) -%}
    {{ relation ~ "." if relation }}* exclude ({{ columns | join(", ") }})
{%- endmacro %}

{% macro spark__star_exclude(relation, columns) -%}
    {{ relation ~ "." if relation }}* except ({{ columns | join(", ") }})
{%- endmacro %}
