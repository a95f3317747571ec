{#
    Column types. Models use dbt's own dbt.type_string() (`TEXT`, i.e.
    varchar, on DuckDB; `string` on Spark). What dbt lacks: a timestamp
    without time zone on every engine (dbt.type_timestamp() is Spark's
    local-time-zone `timestamp`; naive UTC timestamps are timestamp_ntz
    there) and a cast that returns null instead of failing (dbt.safe_cast()
    is a plain cast on Spark).
#}

{# type_text(): kept only for the raw and staging macros and models that
   still call it, until they use dbt.type_string(); delete it then. #}
{% macro type_text() -%}
    {{- return(adapter.dispatch('type_text', 'retention')()) -}}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}


{% macro type_naive_timestamp() -%}
    {{- return(adapter.dispatch('type_naive_timestamp', 'retention')()) -}}
{%- endmacro %}

{% macro default__type_naive_timestamp() -%}
    timestamp
{%- endmacro %}

{% macro spark__type_naive_timestamp() -%}
    timestamp_ntz
{%- endmacro %}


{#
    try_cast_timestamp(value): text (ISO 8601, with or without an offset) or
    a timestamp -> naive UTC timestamp; null when it does not parse. The
    session time zone is UTC on both engines (profiles.yml).
#}
{% macro try_cast_timestamp(value) -%}
    {{- return(adapter.dispatch('try_cast_timestamp', 'retention')(value)) -}}
{%- endmacro %}

{% macro default__try_cast_timestamp(value) -%}
    try_cast(try_cast({{ value }} as timestamptz) as timestamp)
{%- endmacro %}

{% macro spark__try_cast_timestamp(value) -%}
    cast(try_cast({{ value }} as timestamp) as {{ type_naive_timestamp() }})
{%- endmacro %}
