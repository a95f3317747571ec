{#
    Cleaning and parsing helpers used by every staging model. Each returns a
    SQL expression that is null when the input does not parse, so that the
    model can route the row to the rejects table with a reason instead of
    failing the build. Engine-specific spellings live here, nowhere else.
#}

{# Trimmed text; blank becomes null. #}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
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

{#
    parse_timestamp(column, source_types, timezone): a raw timestamp ->
    naive UTC timestamp (null when it does not parse).

    Text shapes read (README "Timestamps"): ISO 8601 with `T` or a space,
    optional fractional seconds, with `Z`, an offset (`+02:00`, `+0200`,
    `+02`) or none; Shopify's `2024-03-07 09:50:26 +0200` (a space before
    the offset); date only (`2024-03-07`, midnight). Slash dates
    (`07/03/2024`) only when var slash_date_order says which comes first
    (`day_first` or `month_first`); with the default `none` they do not
    parse: 03/04 is never guessed. Text without an offset is UTC
    (docs/raw-data.md), or the store's local time (`timezone`: a SQL
    expression naming the store's IANA zone) when var
    naive_timestamps_are_store_local is true.
    source_types (from column_types() of the raw relation): a column that
    is a timestamp already (Parquet) is cast directly; the text route
    through timestamptz costs about 1 s per million rows (BENCHMARKS.md).
#}
{% macro parse_timestamp(column, source_types={}, timezone=none) -%}
    {%- set source_type = source_types.get(column, '') -%}
    {%- set naive_is_local = var('naive_timestamps_are_store_local', false) and timezone is not none -%}
    {%- if source_type.startswith('TIMESTAMP WITH TIME ZONE') or source_type == 'TIMESTAMPTZ' -%}
        cast({{ column }} as {{ type_naive_timestamp() }})
    {%- elif source_type.startswith('TIMESTAMP') or source_type == 'DATE' -%}
        {%- if naive_is_local -%}
            {{ local_to_utc('cast(' ~ column ~ ' as ' ~ type_naive_timestamp() ~ ')', timezone) }}
        {%- else -%}
            cast({{ column }} as {{ type_naive_timestamp() }})
        {%- endif -%}
    {%- else -%}
        {%- set text = normalised_timestamp_text(column) -%}
        {%- if naive_is_local -%}
            case
                when {{ timestamp_text_has_offset(text) }} then {{ try_cast_timestamp(text) }}
                else {{ local_to_utc(try_cast_naive_timestamp(text), timezone) }}
            end
        {%- else -%}
            {{ try_cast_timestamp(text) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro parse_date(column, source_types={}) -%}
    cast({{ parse_timestamp(column, source_types) }} as date)
{%- endmacro %}

{# Trimmed timestamp text in a shape the engine's cast reads (see parse_timestamp). #}
{% macro normalised_timestamp_text(column) -%}
    {%- set text = 'trim(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ '))' -%}
    {%- set order = var('slash_date_order', 'none') -%}
    {%- if order not in ['none', 'day_first', 'month_first'] -%}
        {{ exceptions.raise_compiler_error(
            "var slash_date_order is '" ~ order ~ "': use none, day_first or month_first."
        ) }}
    {%- endif -%}
    {%- if order != 'none' -%}
        {%- set day, month = ('1', '2') if order == 'day_first' else ('2', '1') -%}
        {%- set text = "regexp_replace(" ~ text ~ ", '^(\d{1,2})/(\d{1,2})/(\d{4})', '"
            ~ regex_group(3) ~ "-" ~ regex_group(month) ~ "-" ~ regex_group(day) ~ "')" -%}
    {%- endif -%}
    {#- Shopify: "2024-03-07 09:50:26 +0200" -> "2024-03-07 09:50:26+0200" (also -05, +05:30) -#}
    regexp_replace({{ text }}, '(\d)\s+([+-]\d{2}(:?\d{2})?)$', '{{ regex_group(1) }}{{ regex_group(2) }}')
{%- endmacro %}

{# The text names its offset or zone after a time of day (Z, +02:00, +0200, UTC, Europe/Berlin). #}
{% macro timestamp_text_has_offset(text) -%}
    regexp_matches({{ text }}, '\d:\d\d(:\d\d([.,]\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?|[A-Za-z][A-Za-z_/+-]*)$')
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
    {%- set source_type = source_types.get(raw_column, 'VARCHAR') -%}
    {%- if not (source_type.startswith('VARCHAR') or source_type.startswith('CHARACTER VARYING')
        or source_type.startswith('STRING') or source_type.startswith('TEXT')) -%}
        ({{ raw_column }} is not null and {{ parsed_column }} is null)
    {%- else -%}
        ({{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null)
    {%- endif -%}
{%- endmacro %}

{#
    The build date: var build_date when set (tests pin it), else today
    (UTC). Timestamps later than the end of the day after it cannot be
    real (see timestamp_out_of_range).
#}
{% macro build_date() -%}
    {%- set configured = var('build_date', none) -%}
    {%- if configured -%}
        date '{{ configured | string | trim }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#
    Typos and sentinel values (1900-01-01, 2099-12-31): before var
    min_valid_date (default 1990-01-01, before the first web shop) or
    later than the end of the day after build_date() (UTC; one spare day
    for store time zones ahead of UTC). Works on timestamps and dates.
#}
{% macro timestamp_out_of_range(column) -%}
    ({{ column }} < cast('{{ var("min_valid_date", "1990-01-01") }}' as date) or {{ column }} >= {{ build_date() }} + interval 2 day)
{%- endmacro %}

{#
    A CSV row with fewer or more fields than its header (raw column
    _wrong_field_count, see select_raw_file); false for relations that do
    not carry it (adapters, Parquet).
#}
{% macro has_wrong_field_count(source_types={}) -%}
    {%- if '_wrong_field_count' in source_types -%}
        coalesce(_wrong_field_count, false)
    {%- else -%}
        false
    {%- endif -%}
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
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '')
        {{- "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{# Amount in the row's currency -> reporting currency, rounded to cents. #}
{% macro to_reporting_currency(amount, rate) -%}
    {{ double_to_cents('(' ~ amount ~ ') * ' ~ rate) }}
{%- endmacro %}


{#
    `amount` in the reporting currency (to_reporting_currency with the
    row's rate_to_reporting) for a row of `relation` that passed
    validation (reject_reason null); null for a rejected row, whose amount
    may not convert.
#}
{% macro accepted_reporting_amount(amount, relation) -%}
    case
        when {{ relation }}.reject_reason is null
            then {{ to_reporting_currency(amount, relation ~ '.rate_to_reporting') }}
    end
{%- endmacro %}

{#
    The two columns is_known_currency and rate_to_reporting of a row in
    `currency`, from a left join to the known currencies and to
    stg_fx_rates on (currency, month): the reporting currency is known and
    has rate 1 at any date, with or without a row in the rates.
#}
{% macro fx_rate_lookup(currency, known_currency, rate) -%}
    (
        {{ currency }} = upper('{{ var("reporting_currency") }}')
        or {{ known_currency }} is not null
    ) as is_known_currency,
    case
        when {{ currency }} = upper('{{ var("reporting_currency") }}') then cast(1 as double)
        else {{ rate }}
    end as rate_to_reporting
{%- endmacro %}

{# Whether a relation exists in the warehouse (false in dbt compile before a build). #}
{% macro relation_exists(relation) %}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {{ return(existing is not none) }}
{% endmacro %}
