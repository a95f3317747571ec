{#
    Spark implementations of the raw-file helpers of
    macros/raw/select_raw_file.sql (the default__ ones are DuckDB's).
    Spark reads Parquet raw files only: its SQL path syntax cannot pass the
    CSV options the contract needs (header, every value as text), so a CSV
    raw file stops a Spark build with a message (convert it to Parquet).
#}

{# The files of a directory, listed with the binaryFile source (the file
   contents are not read: only the path column is selected). #}
{% macro spark__list_raw_files(directory) %}
    {{- return(run_query("select path from binaryFile.`" ~ directory ~ "`").columns[0].values()) -}}
{%- endmacro %}


{% macro spark__raw_file_header(path) %}
    {%- if not path.lower().endswith(".parquet") -%}
        {{ exceptions.raise_compiler_error(
            "Raw file '" ~ path ~ "': the Spark target reads Parquet raw files only."
            ~ " Convert it (e.g. duckdb -c \"copy (from read_csv('" ~ path ~ "', all_varchar = true))"
            ~ " to '" ~ path.split('.csv')[0] ~ ".parquet'\") or build this folder on DuckDB."
        ) }}
    {%- endif -%}
    {%- set described = run_query("describe query select * from parquet.`" ~ path ~ "`") -%}
    {{ return(described.columns[0].values() | list) }}
{%- endmacro %}


{# One select per file (1-based row number: _metadata.row_index + 1). #}
{% macro spark__raw_files_reader(paths, header) %}
    {%- for path in paths %}
    select
        *,
        '{{ path }}' as _source_file,
        _metadata.row_index + 1 as _source_row_number,
        false as _wrong_field_count
    from parquet.`{{ path }}`
    {{ "union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}
