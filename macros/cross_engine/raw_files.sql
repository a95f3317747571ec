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


{% macro spark__raw_file_reader(path) %}
    {%- if path.lower().endswith(".csv") -%}
        {{ exceptions.raise_compiler_error(
            "Raw file '" ~ path ~ "': the Spark target reads Parquet raw files only."
            ~ " Convert it (e.g. duckdb -c \"copy (from read_csv('" ~ path ~ "', all_varchar = true))"
            ~ " to '" ~ path[:-4] ~ ".parquet'\") or build this folder on DuckDB."
        ) }}
    {%- endif -%}
    {{ return("parquet.`" ~ path ~ "`") }}
{%- endmacro %}


{% macro spark__raw_file_columns(path, reader) %}
    {%- set described = run_query("describe query select * from " ~ reader) -%}
    {%- set columns = {} -%}
    {%- for name in described.columns[0].values() -%}
        {%- do columns.update({name | trim | lower: name}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{# 1-based row number in the Parquet file (DuckDB: file_row_number + 1). #}
{% macro spark__raw_row_number(path) %}
    _metadata.row_index + 1
{%- endmacro %}
