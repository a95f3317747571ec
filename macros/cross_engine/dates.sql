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


{# Months since year 0 of a date's month (January of year 0 = 0): the period
   index of the retention marts is month_index div months_per_period. #}
{% macro month_index(date_value) -%}
    (year({{ date_value }}) * 12 + month({{ date_value }}) - 1)
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


{#
    The same local dates for many rows at the cost of a few time-zone
    conversions (DuckDB's ICU conversion costs about 4 CPU seconds per
    million rows).
    utc_day_offsets(zone_days): zone_days is a relation or CTE with columns
    timezone and utc_day (repeats and nulls allowed): the zones and UTC days
    the rows are expected to hold. One row per (timezone, utc_day) with the
    zone's UTC offset when it is the same at the first and the last
    microsecond of that UTC day, null on a day with an offset change (a zone
    changes its offset at most once a day, so equal ends mean one offset all
    day).
    local_date_from_offsets(timestamp, timezone, offsets): the local date of
    a row left-joined to those offsets (utc_day_offsets_join): (timestamp +
    offset)::date, and utc_to_local_date itself on a day with an offset
    change or a (zone, day) missing from zone_days. So zone_days only
    decides the cost, never the result: identical to utc_to_local_date on
    every row (retention/tests/test_local_dates.py). Spark keeps
    utc_to_local_date per row: its offsets relation is empty.
#}
{% macro utc_day_offsets(zone_days) -%}
    {{- return(adapter.dispatch('utc_day_offsets', 'retention')(zone_days)) -}}
{%- endmacro %}

{% macro default__utc_day_offsets(zone_days) -%}
    select
        timezone,
        utc_day,
        case when start_offset = end_offset then start_offset end as utc_offset
    from (
        select
            timezone,
            utc_day,
            cast(timezone(timezone, cast(utc_day as timestamptz)) as timestamp)
            - cast(utc_day as timestamp) as start_offset,
            cast(timezone(timezone, cast(utc_day + interval 1 day - interval 1 microsecond as timestamptz)) as timestamp)
            - (utc_day + interval 1 day - interval 1 microsecond) as end_offset
        from (
            select distinct
                timezone,
                cast(utc_day as date) as utc_day
            from {{ zone_days }}
            where timezone is not null and utc_day is not null
        ) as distinct_zone_days
    ) as zone_day_offsets
{%- endmacro %}

{% macro spark__utc_day_offsets(zone_days) -%}
    select
        cast(null as string) as timezone,
        cast(null as date) as utc_day,
        cast(null as int) as utc_offset
    where 1 = 0
{%- endmacro %}

{# The join condition of a relation's rows with utc_day_offsets (left join). #}
{% macro utc_day_offsets_join(timestamp_value, timezone, offsets) -%}
    {{ timezone }} = {{ offsets }}.timezone
    and cast({{ timestamp_value }} as date) = {{ offsets }}.utc_day
{%- endmacro %}

{% macro local_date_from_offsets(timestamp_value, timezone, offsets) -%}
    {{- return(adapter.dispatch('local_date_from_offsets', 'retention')(timestamp_value, timezone, offsets)) -}}
{%- endmacro %}

{% macro default__local_date_from_offsets(timestamp_value, timezone, offsets) -%}
    case
        when {{ timezone }} is null then cast({{ timestamp_value }} as date)
        when {{ offsets }}.utc_offset is not null
            then cast({{ timestamp_value }} + {{ offsets }}.utc_offset as date)
        else {{ utc_to_local_date(timestamp_value, timezone) }}
    end
{%- endmacro %}

{% macro spark__local_date_from_offsets(timestamp_value, timezone, offsets) -%}
    {{ utc_to_local_date(timestamp_value, timezone) }}
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
