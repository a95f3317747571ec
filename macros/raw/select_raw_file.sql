{#
    select_raw_file(name): the body of a raw-layer model.

    Finds RAW_DATA_DIR/<name>.csv or RAW_DATA_DIR/<name>.parquet (format by
    extension, per file), checks its header against raw_tables(), and selects
    the contract columns as they are in the file (CSV: every value as text, so
    that staging can reject what does not parse instead of the reader failing
    on row 1,234,567). Adds _source_file and _source_row_number (1-based) so a
    rejected row can be found in the file.

    - required file missing        -> build stops, naming the path
    - optional file missing        -> an empty relation with the same columns
    - required column missing      -> build stops, naming file and column
    - both .csv and .parquet exist -> build stops (ambiguous)
#}
{% macro select_raw_file(name) %}
    {%- set spec = raw_tables()[name] -%}
    {%- set directory = raw_data_dir() -%}

    {%- if not execute -%}
        {{ return(empty_raw_relation(spec)) }}
    {%- endif -%}

    {%- set path = find_raw_file(directory, name, spec) -%}
    {%- if path is none -%}
        {{ return(empty_raw_relation(spec)) }}
    {%- endif -%}

    {%- set reader = raw_file_reader(path) -%}
    {%- set file_columns = raw_file_columns(path, reader) -%}

    {%- if file_columns.keys() | list == ["column0"] -%}
        {{ exceptions.raise_compiler_error("Raw file '" ~ path ~ "' is empty (no header row).") }}
    {%- endif -%}

    {%- set missing = [] -%}
    {%- for column in spec["required"] if column not in file_columns -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Raw file '" ~ path ~ "' lacks required column(s): " ~ (missing | join(", "))
            ~ ". Columns found in the file: " ~ (file_columns.keys() | list | join(", "))
            ~ ". Expected columns (CONTRACT.md section 3): " ~ (spec["columns"] | join(", "))
            ~ ". Check the header row and the delimiter (CSV must be comma-separated)."
        ) }}
    {%- endif -%}

    {%- set extra = [] -%}
    {%- for column in file_columns if column not in spec["columns"] -%}
        {%- do extra.append(column) -%}
    {%- endfor -%}
    {%- if extra -%}
        {{ log("raw file " ~ path ~ ": ignoring extra column(s) " ~ (extra | join(", ")), info=true) }}
    {%- endif %}

    select
        {{ raw_row_number(path) }} as _source_row_number,
        '{{ path }}' as _source_file,
        {%- for column in spec["columns"] %}
        {%- set value = adapter.quote(file_columns[column]) if column in file_columns else "cast(null as " ~ type_text() ~ ")" %}
        {%- if column in spec.get("pii", []) %}
        {{ hash_pii(value) }} as {{ column }}_hash
        {%- else %}
        {{ value }} as {{ column }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {%- endfor %}
    from {{ reader }}
{%- endmacro %}


{# An empty relation with the raw table's columns, all text. #}
{% macro empty_raw_relation(spec) %}
    select
        cast(null as bigint) as _source_row_number,
        cast(null as {{ type_text() }}) as _source_file,
        {%- for column in spec["columns"] %}
        cast(null as {{ type_text() }}) as {{ column }}{{ "_hash" if column in spec.get("pii", []) }}
        {{- "," if not loop.last }}
        {%- endfor %}
    where false
{%- endmacro %}


{# Path of <directory>/<name>.csv|.parquet, none when absent and optional. #}
{% macro find_raw_file(directory, name, spec) %}
    {%- set candidates = [] -%}
    {%- for listed_path in list_raw_files(directory) | sort -%}
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
                "Required raw file '" ~ directory ~ "/" ~ name ~ ".csv' (or .parquet) not found."
                ~ " Set RAW_DATA_DIR to the folder that holds the raw files."
            ) }}
        {%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(candidates[0]) }}
{%- endmacro %}


{# Paths of the files in a directory (the engine lists them). #}
{% macro list_raw_files(directory) %}
    {{- return(adapter.dispatch('list_raw_files', 'retention')(directory)) -}}
{%- endmacro %}

{% macro default__list_raw_files(directory) %}
    {{- return(run_query("select file from glob('" ~ directory ~ "/*')").columns[0].values()) -}}
{%- endmacro %}


{% macro raw_file_reader(path) %}
    {{- return(adapter.dispatch('raw_file_reader', 'retention')(path)) -}}
{%- endmacro %}

{% macro default__raw_file_reader(path) %}
    {%- if path.lower().endswith(".csv") -%}
        {{ return("read_csv('" ~ path ~ "', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')") }}
    {%- else -%}
        {{ return("read_parquet('" ~ path ~ "', file_row_number = true)") }}
    {%- endif -%}
{%- endmacro %}


{# {normalised column name: name as written in the file} #}
{% macro raw_file_columns(path, reader) %}
    {{- return(adapter.dispatch('raw_file_columns', 'retention')(path, reader)) -}}
{%- endmacro %}

{% macro default__raw_file_columns(path, reader) %}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- set columns = {} -%}
    {%- for name in described.columns[0].values() if name != "file_row_number" -%}
        {%- do columns.update({name | trim | lower: name}) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro raw_row_number(path) %}
    {{- return(adapter.dispatch('raw_row_number', 'retention')(path)) -}}
{%- endmacro %}

{% macro default__raw_row_number(path) %}
    {%- if path.lower().endswith(".csv") -%}
        row_number() over ()
    {%- else -%}
        file_row_number + 1
    {%- endif -%}
{%- endmacro %}
