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
   ever returns the clear text. The salt is PII_HASH_SALT (pii_hash_salt()). #}
{% macro hash_pii(column) -%}
    {{ sha256_hex("'" ~ pii_hash_salt() | replace("'", "''") ~ "' || lower(" ~ clean_text(column) ~ ")") }}
{%- endmacro %}

{# The e-mail hash salt: env var PII_HASH_SALT. Unset, the public constant
   'retention-warehouse' is used only for the bundled sample (RAW_DATA_DIR
   data/sample) and the test fixtures (retention/tests/data/...): with a
   public salt anyone can hash a list of addresses and match a real store's
   customers, so any other folder stops the build (retention/pii.py holds
   the same rule for Python code). #}
{% macro pii_hash_salt() -%}
    {%- set salt = env_var("PII_HASH_SALT", "") -%}
    {%- if salt -%}
        {{ return(salt) }}
    {%- endif -%}
    {%- set raw = raw_data_dir() -%}
    {%- set normalised = raw[2:] if raw.startswith("./") else raw -%}
    {%- if normalised == "data/sample" or normalised.endswith("/data/sample")
          or "retention/tests/data/" in normalised ~ "/" -%}
        {{ return("retention-warehouse") }}
    {%- endif -%}
    {%- if execute -%}
        {{ exceptions.raise_compiler_error(
            "PII_HASH_SALT is not set, and RAW_DATA_DIR ('" ~ raw ~ "') is not the bundled "
            ~ "sample: e-mail hashes with the public default salt can be matched against "
            ~ "a list of addresses. Set your own secret salt and keep it (every build must "
            ~ "use the same one, or every email_hash changes): "
            ~ "export PII_HASH_SALT=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\" "
            ~ "- see README, Configuration."
        ) }}
    {%- endif -%}
    {{ return("") }}
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
