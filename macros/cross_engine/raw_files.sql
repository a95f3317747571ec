{#
    Spark implementations of the raw-file helpers of
    macros/raw/select_raw_file.sql (the default__ ones are DuckDB's).
    Spark reads Parquet raw files only: its SQL path syntax cannot pass the
    CSV options the contract needs (header, every value as text), so a CSV
    raw file stops a Spark build with a message (convert it to Parquet).
#}

{# <directory>/<name>.csv|.parquet, listed with the binaryFile source (the
   file contents are not read: only the path column is selected). #}
{% macro spark__find_raw_file(directory, name, spec) %}
    {%- set listed = run_query(
        "select path from binaryFile.`" ~ directory ~ "`"
    ).columns[0].values() -%}
    {%- set candidates = [] -%}
    {%- for listed_path in listed | sort -%}
        {%- set file_name = listed_path.split("/")[-1] -%}
        {%- if file_name.lower() in [name ~ ".csv", name ~ ".parquet"] -%}
            {%- do candidates.append(directory ~ "/" ~ file_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if candidates | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Both " ~ (candidates | join(" and ")) ~ " exist: keep one file per raw table."
        ) }}
    {%- endif -%}
    {%- if candidates | length == 0 -%}
        {%- if spec["file_required"] -%}
            {{ exceptions.raise_compiler_error(
                "Required raw file '" ~ directory ~ "/" ~ name ~ ".parquet' not found."
                ~ " Set RAW_DATA_DIR to the folder that holds the raw files."
            ) }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(candidates[0]) }}
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
