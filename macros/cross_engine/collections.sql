{#
    Lists, structs, series and star-exclusion: DuckDB and Spark both have
    them under different names. Arguments are SQL expressions.
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


{# One row per element of a list expression (a select-list item). #}
{% macro unnest_list(list_expression) -%}
    {{- return(adapter.dispatch('unnest_list', 'retention')(list_expression)) -}}
{%- endmacro %}

{% macro default__unnest_list(list_expression) -%}
    unnest({{ list_expression }})
{%- endmacro %}

{% macro spark__unnest_list(list_expression) -%}
    explode({{ list_expression }})
{%- endmacro %}


{# A list literal from a list of SQL expressions. #}
{% macro list_of(items) -%}
    {{- return(adapter.dispatch('list_of', 'retention')(items)) -}}
{%- endmacro %}

{% macro default__list_of(items) -%}
    [
        {{ items | join(",\n        ") }}
    ]
{%- endmacro %}

{% macro spark__list_of(items) -%}
    array(
        {{ items | join(",\n        ") }}
    )
{%- endmacro %}


{# A struct literal from a dict {field name: SQL expression} (in order);
   fields are read back with struct_column['field'] on both engines. #}
{% macro struct_of(fields) -%}
    {{- return(adapter.dispatch('struct_of', 'retention')(fields)) -}}
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    {
        {%- for name, value in fields.items() %}
        '{{ name }}': {{ value }}{{ "," if not loop.last }}
        {%- endfor %}
    }
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct(
        {%- for name, value in fields.items() %}
        '{{ name }}', {{ value }}{{ "," if not loop.last }}
        {%- endfor %}
    )
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


{# Texts of a group joined with a separator (order not guaranteed). #}
{% macro text_agg(value, separator) -%}
    {{- return(adapter.dispatch('text_agg', 'retention')(value, separator)) -}}
{%- endmacro %}

{% macro default__text_agg(value, separator) -%}
    string_agg({{ value }}, '{{ separator }}')
{%- endmacro %}

{% macro spark__text_agg(value, separator) -%}
    concat_ws('{{ separator }}', collect_list({{ value }}))
{%- endmacro %}
