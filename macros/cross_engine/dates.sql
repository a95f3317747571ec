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


{# make_date(year, month, day) is the same on DuckDB and Spark: no macro. #}


{#
    Store time zones (IANA names such as 'Europe/Berlin'; null = UTC).
    utc_to_local_date(ts, tz): the local calendar date of a naive UTC
    timestamp, DST-correct (ICU on DuckDB). local_to_utc(ts, tz): a naive
    local wall-clock time -> naive UTC.
#}
{% macro utc_to_local_date(timestamp_value, timezone) -%}
    {{- return(adapter.dispatch('utc_to_local_date', 'retention')(timestamp_value, timezone)) -}}
{%- endmacro %}

{% macro default__utc_to_local_date(timestamp_value, timezone) -%}
    case
        when {{ timezone }} is null then cast({{ timestamp_value }} as date)
        else cast(timezone({{ timezone }}, cast({{ timestamp_value }} as timestamptz)) as date)
    end
{%- endmacro %}

{% macro spark__utc_to_local_date(timestamp_value, timezone) -%}
    cast(from_utc_timestamp({{ timestamp_value }}, coalesce({{ timezone }}, 'UTC')) as date)
{%- endmacro %}


{% macro local_to_utc(timestamp_value, timezone) -%}
    {{- return(adapter.dispatch('local_to_utc', 'retention')(timestamp_value, timezone)) -}}
{%- endmacro %}

{% macro default__local_to_utc(timestamp_value, timezone) -%}
    case
        when {{ timezone }} is null then {{ timestamp_value }}
        else cast(timezone({{ timezone }}, {{ timestamp_value }}) as timestamp)
    end
{%- endmacro %}

{% macro spark__local_to_utc(timestamp_value, timezone) -%}
    cast(to_utc_timestamp({{ timestamp_value }}, coalesce({{ timezone }}, 'UTC')) as timestamp_ntz)
{%- endmacro %}


{# The text names an IANA time zone the engine knows (DuckDB: pg_timezone_names()). #}
{% macro is_known_timezone(timezone) -%}
    {{- return(adapter.dispatch('is_known_timezone', 'retention')(timezone)) -}}
{%- endmacro %}

{% macro default__is_known_timezone(timezone) -%}
    ({{ timezone }} in (select name from pg_timezone_names()))
{%- endmacro %}

{% macro spark__is_known_timezone(timezone) -%}
    {#- Spark lists no zones; from_utc_timestamp returns null for an unknown one -#}
    (from_utc_timestamp(timestamp '2000-01-01', {{ timezone }}) is not null)
{%- endmacro %}
