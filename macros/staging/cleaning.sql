{#
    Cleaning and parsing helpers used by every staging model. Each returns a
    SQL expression that is null when the input does not parse, so that the
    model can route the row to the rejects table with a reason instead of
    failing the build. Engine-specific spellings live here, nowhere else.
#}

{# Trimmed text; blank becomes null. #}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ type_text() }})), '')
{%- endmacro %}

{# Codes compared case-insensitively (status, channel, device, segment). #}
{% macro clean_code(column) -%}
    lower({{ clean_text(column) }})
{%- endmacro %}

{# Lower-case column name -> upper-case type of a relation; {} when nothing
   runs (dbt compile, sqlfluff), where the generic expressions are used. #}
{% macro column_types(relation) -%}
    {%- set types = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do types.update({column.name | lower: column.data_type | upper}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{%- endmacro %}

{# ISO 8601 text or a native timestamp -> naive UTC timestamp. Text without
   an offset is taken as UTC (the session time zone is UTC, see profiles.yml).
   source_types (from column_types() of the raw relation): a column that is
   a timestamp already (Parquet) is cast directly; the text route through
   timestamptz costs about 1 s per million rows (BENCHMARKS.md). #}
{% macro parse_timestamp(column, source_types={}) -%}
    {%- if source_types.get(column, '').startswith('TIMESTAMP') -%}
        cast({{ column }} as {{ type_naive_timestamp() }})
    {%- else -%}
        {{ try_cast_timestamp(column) }}
    {%- endif -%}
{%- endmacro %}

{% macro parse_date(column, source_types={}) -%}
    cast({{ parse_timestamp(column, source_types) }} as date)
{%- endmacro %}

{# Money with cents; text such as '12.50' or numbers. #}
{% macro parse_money(column) -%}
    try_cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{% macro parse_boolean(column) -%}
    try_cast({{ clean_text(column) }} as boolean)
{%- endmacro %}

{# A raw value did not parse: present in the file but null after parsing.
   Blank text counts as absent; a natively typed column (Parquet, known from
   source_types) is compared without the cast to text. #}
{% macro failed_to_parse(raw_column, parsed_column, source_types={}) -%}
    {%- if source_types.get(raw_column, 'VARCHAR') != 'VARCHAR' -%}
        ({{ raw_column }} is not null and {{ parsed_column }} is null)
    {%- else -%}
        ({{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null)
    {%- endif -%}
{%- endmacro %}

{# Timestamps outside this range are typos or sentinel values (1900-01-01). #}
{% macro timestamp_out_of_range(column) -%}
    ({{ column }} < timestamp '1990-01-01' or {{ column }} >= timestamp '2100-01-01')
{%- endmacro %}

{# Salted SHA-256 of a trimmed, lower-cased PII value (e-mail). The raw
   layer applies it while reading the file, so no relation of the warehouse
   ever returns the clear text. Set PII_HASH_SALT in production. #}
{% macro hash_pii(column) -%}
    {{ sha256_hex("'" ~ env_var("PII_HASH_SALT", "retention-warehouse") ~ "' || lower(" ~ clean_text(column) ~ ")") }}
{%- endmacro %}

{# All raw values of a row as one text, kept for rejected rows only. #}
{% macro raw_values(columns) -%}
    concat_ws(' | ',
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ type_text() }}), '')
        {{- "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{# Amount in the row's currency -> reporting currency, rounded to cents. #}
{% macro to_reporting_currency(amount, rate) -%}
    cast({{ round_double('(' ~ amount ~ ') * ' ~ rate, 2) }} as decimal(18, 2))
{%- endmacro %}
