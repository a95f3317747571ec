{#
    RAW_DATABASE: a DuckDB database file holding a store-export adapter's
    tables instead of files (RAW_FORMAT=fivetran_shopify: the Fivetran
    Shopify connector's tables, one schema per store named by its store_id).
    It is attached read-only as `raw_export` at the start of every dbt
    invocation (on-run-start in dbt_project.yml), so the raw views that read
    it work in any run, and again when a raw view is compiled. A table is
    named like a file, <RAW_DATABASE>/<schema>/<table>, so the adapters'
    store-folder helpers (store_id = the folder, i.e. the schema) and the
    `_source_file` of every raw row work unchanged. DuckDB only.
#}

{# The env var RAW_DATABASE ('' when unset). #}
{% macro raw_database() -%}
    {{ return(env_var("RAW_DATABASE", "") | trim | replace("\\", "/")) }}
{%- endmacro %}


{# SQL attaching RAW_DATABASE read-only as raw_export ('' when unset): the
   on-run-start hook. A missing file stops the run with its path. #}
{% macro attach_raw_database() -%}
    {%- set path = raw_database() -%}
    {%- if not path or not execute -%}
        {{ return("") }}
    {%- endif -%}
    {%- if target.type != "duckdb" -%}
        {{ exceptions.raise_compiler_error(
            "RAW_DATABASE is a DuckDB file: it can be read by the duckdb target only (target: " ~ target.type ~ ")."
        ) }}
    {%- endif -%}
    {%- set found = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] -%}
    {%- if found == 0 -%}
        {{ exceptions.raise_compiler_error(
            "RAW_DATABASE='" ~ path ~ "': no such DuckDB file. Set it to the database holding the"
            ~ " export tables (one schema per store), or unset it to read files from RAW_DATA_DIR."
        ) }}
    {%- endif -%}
    {{ return("attach if not exists '" ~ path ~ "' as raw_export (read_only)") }}
{%- endmacro %}


{# The schemas of the attached RAW_DATABASE, sorted. #}
{% macro raw_database_schemas() -%}
    {%- do run_query(attach_raw_database()) -%}
    {%- set sql -%}
        select distinct schema_name from duckdb_tables()
        where database_name = 'raw_export'
        order by 1
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}


{# The tables named `table` (case-insensitive) of RAW_DATABASE, one per
   schema, as <RAW_DATABASE>/<schema>/<table name>, sorted by schema. #}
{% macro raw_database_tables(table) -%}
    {%- do run_query(attach_raw_database()) -%}
    {%- set sql -%}
        select '{{ raw_database() }}/' || schema_name || '/' || table_name
        from duckdb_tables()
        where database_name = 'raw_export' and lower(table_name) = lower('{{ table }}')
        order by schema_name
    {%- endset -%}
    {{ return(run_query(sql).columns[0].values() | list) }}
{%- endmacro %}


{# The relation of a table named <RAW_DATABASE>/<schema>/<table>. #}
{% macro raw_database_relation(path) -%}
    {%- set parts = path.split("/") -%}
    raw_export.{{ adapter.quote(parts[-2]) }}.{{ adapter.quote(parts[-1]) }}
{%- endmacro %}


{# The rows of several such tables, columns matched by name, each row's
   table in `filename` and its position in `file_row_number` (like the
   Parquet reader's columns). #}
{% macro raw_database_reader(paths) -%}
    (
        {%- for path in paths %}
        select
            *,
            '{{ path }}' as filename,
            rowid as file_row_number
        from {{ raw_database_relation(path) }}
        {{ "union all by name" if not loop.last }}
        {%- endfor %}
    ) as raw_database_rows
{%- endmacro %}
