{#
    Helpers shared by the store-export adapters (RAW_FORMAT shopify_csv,
    woocommerce_csv, fivetran_shopify). Layout (docs/configuration.md):
    RAW_DATA_DIR/<store_id>/<export files>, and optionally contract files
    such as stores.csv or marketing_spend.csv beside the store folders.
    DuckDB only (the adapters read files with read_csv / read_parquet).
#}

{# Paths of RAW_DATA_DIR/<store>/<file> whose name matches one of the
   suffixes (lower-case), sorted. #}
{% macro adapter_store_files(suffixes, file_names=none) %}
    {%- set directory = raw_data_dir() -%}
    {%- set listed = run_query("select file from glob('" ~ directory ~ "/*/*') order by file").columns[0].values() -%}
    {%- set files = [] -%}
    {%- for path in listed -%}
        {%- set file_name = path.replace("\\", "/").split("/")[-1] | lower -%}
        {%- if file_names is not none -%}
            {%- if file_name in file_names -%}
                {%- do files.append(path) -%}
            {%- endif -%}
        {%- else -%}
            {%- for suffix in suffixes if file_name.endswith(suffix) -%}
                {%- do files.append(path) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files) }}
{%- endmacro %}


{# Store id of a file path column: the name of the folder holding the file. #}
{% macro adapter_store_id(path_column) -%}
    regexp_extract(replace({{ path_column }}, '\', '/'), '([^/]+)/[^/]+$', 1)
{%- endmacro %}


{# SQL list literal of file paths. #}
{% macro adapter_file_list(files) -%}
    [{%- for path in files -%}'{{ path }}'{{ ", " if not loop.last }}{%- endfor -%}]
{%- endmacro %}


{# The CSV reader of the adapters: every value as text, columns matched by
   name across files, the file path in column `filename`. #}
{% macro adapter_csv_reader(files) -%}
    read_csv({{ adapter_file_list(files) }}, header = true, all_varchar = true, union_by_name = true,
        filename = true, delim = ',', quote = '"', escape = '"')
{%- endmacro %}


{#
    What every CSV store-export adapter does first, for raw table `name`:
    returns {relation: the whole raw relation, when the export does not hold
    that table (carts and marketing spend: the optional contract files beside
    the store folders; stores: one row per store folder; or an empty
    relation while dbt parses), files, columns}. Without export files in the
    store folders the build stops saying where they belong; a file without
    a required column stops it naming both (adapter_checked_columns).
#}
{% macro adapter_csv_export(name, raw_format, format_label, required) %}
    {%- set export = {"relation": none, "files": [], "columns": {}} -%}
    {%- if not execute -%}
        {%- do export.update({"relation": empty_raw_relation(raw_tables()[name])}) -%}
        {{ return(export) }}
    {%- endif -%}
    {%- if name in ("carts", "marketing_spend") -%}
        {%- do export.update({"relation": select_raw_file(name)}) -%}
        {{ return(export) }}
    {%- endif -%}
    {%- set files = adapter_store_files([".csv", ".csv.gz"]) -%}
    {%- if files | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "RAW_FORMAT=" ~ raw_format ~ ": no " ~ format_label ~ " found. Put each store's export"
            ~ " CSV files in RAW_DATA_DIR/<store_id>/ (RAW_DATA_DIR='" ~ raw_data_dir() ~ "')."
        ) }}
    {%- endif -%}
    {%- do export.update({"files": files, "columns": adapter_checked_columns(files, required, format_label)}) -%}
    {%- if name == "stores" -%}
        {%- do export.update({"relation": adapter_stores(adapter_folder_stores(files))}) -%}
    {%- endif -%}
    {{ return(export) }}
{%- endmacro %}


{# The rows of CSV export files with a running number over all of them
   (_global_row_number), for adapter_csv_row_number(). #}
{% macro adapter_csv_line_rows(files) -%}
    select
        *,
        row_number() over () as _global_row_number
    from {{ adapter_csv_reader(files) }}
{%- endmacro %}


{# SQL: a row's number within its file (1 = the first data row), over the
   rows of adapter_csv_line_rows(). #}
{% macro adapter_csv_row_number() -%}
    _global_row_number - min(_global_row_number) over (partition by filename) + 1
{%- endmacro %}


{#
    Checks the header of every export file: a file lacking a required column
    stops the build naming the file and the column. Returns {lower-case
    column name: name as written} over all the files.
#}
{% macro adapter_checked_columns(files, required, format_label, reader_kind="csv") %}
    {%- set all_columns = {} -%}
    {%- for path in files -%}
        {%- if reader_kind == "csv" -%}
            {%- set reader = "read_csv('" ~ path ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')" -%}
        {%- elif reader_kind == "database" -%}
            {%- set reader = raw_database_relation(path) -%}
        {%- else -%}
            {%- set reader = "read_parquet('" ~ path ~ "')" -%}
        {%- endif -%}
        {%- set names = run_query("describe select * from " ~ reader).columns[0].values() -%}
        {%- set columns = {} -%}
        {%- for name in names -%}
            {%- set key = name | trim | lower -%}
            {%- if key in columns -%}
                {{ exceptions.raise_compiler_error(
                    format_label ~ " file '" ~ path ~ "' names column '" ~ name ~ "' twice."
                ) }}
            {%- endif -%}
            {%- do columns.update({key: name}) -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for column in required if column | lower not in columns -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                format_label ~ " file '" ~ path ~ "' lacks required column(s): " ~ (missing | join(", "))
                ~ ". Columns found: " ~ (names | join(", ")) ~ ". Is RAW_FORMAT right for this export?"
            ) }}
        {%- endif -%}
        {%- do all_columns.update(columns) -%}
    {%- endfor -%}
    {{ return(all_columns) }}
{%- endmacro %}


{# A column of an export by its documented name: quoted when the files have
   it, else a typed null (optional columns). #}
{% macro adapter_column(columns, name) -%}
    {%- if name | lower in columns -%}
        nullif(trim(cast({{ adapter.quote(columns[name | lower]) }} as {{ dbt.type_string() }})), '')
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}


{# Timestamp text as exports write it ('2024-03-07 09:50:26 +0200',
   '2024-03-07T09:50:26+02:00', '2024-03-07 09:50:26') -> ISO 8601 text with
   a '+HH:MM' offset when there is one (DuckDB's timestamptz cast reads it).
   Left as text: staging parses it and rejects what does not parse. #}
{% macro adapter_iso_timestamp(expression) -%}
    regexp_replace(
        trim({{ expression }}),
        '^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(:\d{2}(\.\d+)?)?) ?([+-]\d{2}):?(\d{2})$',
        '\1 \2\5:\6'
    )
{%- endmacro %}


{#
    The stores raw table of an adapter: one row per store folder, completed
    by the optional contract stores.csv beside the folders (segment, name,
    currency, time zone; it wins where it has a value) and by what the export
    itself knows (export_stores_sql: a select of store_id, store_name,
    currency, country_code, timezone, _source_file, _source_row_number).
    Rows of stores.csv for stores without a folder are kept as they are.
#}
{% macro adapter_stores(store_ids_sql, export_stores_sql=none) %}
    with contract_stores as (
        {{ select_raw_file("stores") }}
    ),

    folder_stores as (
        {{ store_ids_sql }}
    ),

    export_stores as (
        {%- if export_stores_sql is none %}
        select
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as store_name,
            cast(null as {{ dbt.type_string() }}) as currency,
            cast(null as {{ dbt.type_string() }}) as country_code,
            cast(null as {{ dbt.type_string() }}) as timezone,
            cast(null as {{ dbt.type_string() }}) as _source_file,
            cast(null as bigint) as _source_row_number
        where false
        {%- else %}
        {{ export_stores_sql }}
        {%- endif %}
    ),

    store_ids as (
        select store_id from folder_stores
        union
        select trim(cast(store_id as {{ dbt.type_string() }})) from contract_stores
    ),

    final as (
        select
            coalesce(contract_stores._source_row_number, export_stores._source_row_number, 1)
                as _source_row_number,
            coalesce(contract_stores._source_file, export_stores._source_file, folder_stores._source_file)
                as _source_file,
            store_ids.store_id,
            coalesce(cast(contract_stores.store_name as {{ dbt.type_string() }}), export_stores.store_name)
                as store_name,
            cast(contract_stores.industry_segment as {{ dbt.type_string() }}) as industry_segment,
            coalesce(cast(contract_stores.currency as {{ dbt.type_string() }}), export_stores.currency)
                as currency,
            coalesce(cast(contract_stores.country_code as {{ dbt.type_string() }}), export_stores.country_code)
                as country_code,
            coalesce(cast(contract_stores.timezone as {{ dbt.type_string() }}), export_stores.timezone)
                as timezone
        from store_ids
        left join contract_stores
            on store_ids.store_id = trim(cast(contract_stores.store_id as {{ dbt.type_string() }}))
        left join folder_stores
            on store_ids.store_id = folder_stores.store_id
        left join export_stores
            on store_ids.store_id = export_stores.store_id
    )

    select * from final
{%- endmacro %}


{# One row per store folder holding export files: store_id, _source_file. #}
{% macro adapter_folder_stores(files) -%}
    select
        {{ adapter_store_id("file") }} as store_id,
        min(file) as _source_file
    from (select unnest({{ adapter_file_list(files) }}) as file)
    group by 1
{%- endmacro %}


{# A column as the files type it (Parquet), or a typed null when absent. #}
{% macro adapter_typed_column(columns, name, null_type) -%}
    {%- if name | lower in columns -%}
        {{ adapter.quote(columns[name | lower]) }}
    {%- else -%}
        cast(null as {{ null_type }})
    {%- endif -%}
{%- endmacro %}
