{#
    Column types. Models use dbt's own dbt.type_string() (`TEXT`, i.e.
    varchar, on DuckDB; `string` on Spark). What dbt lacks: a timestamp
    without time zone on every engine (dbt.type_timestamp() is Spark's
    local-time-zone `timestamp`; naive UTC timestamps are timestamp_ntz
    there) and a cast that returns null instead of failing (dbt.safe_cast()
    is a plain cast on Spark).
#}

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


{# Naive text -> naive timestamp, offset ignored; null when it does not parse. #}
{% macro try_cast_naive_timestamp(value) -%}
    try_cast({{ value }} as {{ type_naive_timestamp() }})
{%- endmacro %}

{# A capture group in the replacement of regexp_replace: \1 (DuckDB), $1 (Spark). #}
{% macro regex_group(number) -%}
    {{- return(adapter.dispatch('regex_group', 'retention')(number)) -}}
{%- endmacro %}

{% macro default__regex_group(number) -%}
    \{{ number }}
{%- endmacro %}

{% macro spark__regex_group(number) -%}
    ${{ number }}
{%- endmacro %}
