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


{#
    small_key_list(relation, columns): a FROM item with the rows of
    `relation` (a CTE of a few key columns), for the build side of a join
    with a large table. DuckDB estimates a CTE over unions or a grouping
    at millions of rows and may then build its hash table on the large
    side; packed into one list and unnested again, the keys are estimated
    small and the join builds on them (fct_orders' incremental run: 10.3 s
    -> 7.2 s alone at 10M orders, DECISIONLOG.md "fct_orders' incremental
    joins build on the key lists"). Other engines read the relation as is.
    For a join only: inside a correlated `exists` the list is rebuilt per
    outer row (tried on the spans' changed customers: out of memory).
    `producer`: the changelog the keys come from; the keys are packed only
    when it holds few changes for this model (few_changed_keys): one list
    is one value in memory, and after a reset (every key changed: 10M at
    10M orders) it does not fit, while a plain join spills. Which of the
    two is compiled does not change the node's input version.
#}
{% macro small_key_list(relation, columns, producer) -%}
    {{- return(adapter.dispatch('small_key_list', 'retention')(relation, columns, producer)) -}}
{%- endmacro %}

{% macro default__small_key_list(relation, columns, producer) -%}
    {{ relation }}
{%- endmacro %}

{% macro duckdb__small_key_list(relation, columns, producer) -%}
    {%- if not few_changed_keys(producer) -%}
        {{ return(relation) }}
    {%- endif -%}
    {#- the markers: node_input_version() reads the packed list as the plain
        relation (the rows are the same; only the plan differs) -#}
    /* key-list {{ relation }} { */ (
        select unnest(key_list, recursive := true)
        from (
            select list({
                {%- for column in columns %}
                '{{ column }}': {{ column }}{{ ', ' if not loop.last }}
                {%- endfor %}
            }) as key_list
            from {{ relation }}
        ) as packed
    ) as {{ relation }} /* } key-list */
{%- endmacro %}
