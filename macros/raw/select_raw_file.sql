{#
    select_raw_file(name): the body of a raw-layer model.

    A raw table is one file or a folder of files in RAW_DATA_DIR
    (docs/raw-data.md):
        <name>.csv | <name>.csv.gz | <name>.parquet      one file
        <name>/ holding *.csv, *.csv.gz, *.parquet       one file per export
    read as one table (format by extension, per file; a folder may mix
    formats). The header of every file is checked against raw_tables(),
    and the contract columns are selected as they are in the file (CSV:
    every value as text, so that staging can reject what does not parse
    instead of the reader failing on row 1,234,567). Adds _source_file
    (the path of the row's file) and _source_row_number (1-based data row
    number in that file, header excluded) so a rejected row can be found,
    and _wrong_field_count: the CSV row has fewer or more fields than the
    header (staging rejects it as wrong_field_count, the
    other rows load).

    - required table missing          -> build stops, naming the path
    - optional table missing          -> an empty relation, same columns
    - file and folder, or two formats -> build stops (ambiguous)
    - required column missing         -> build stops, naming file and column
    - a column named twice            -> build stops, naming file and column
    - folder files with other headers -> build stops, naming the odd file
#}
{% macro select_raw_file(name) %}
    {%- set spec = raw_tables()[name] -%}
    {%- set directory = raw_data_dir() -%}

    {%- if not execute -%}
        {{ return(empty_raw_relation(spec)) }}
    {%- endif -%}

    {%- set paths = find_raw_files(directory, name, spec) -%}
    {%- if paths | length == 0 -%}
        {{ return(empty_raw_relation(spec)) }}
    {%- endif -%}

    {%- set csv_paths = [] -%}
    {%- set parquet_paths = [] -%}
    {%- for path in paths -%}
        {%- do (parquet_paths if path.lower().endswith(".parquet") else csv_paths).append(path) -%}
    {%- endfor -%}

    {%- set parts = [] -%}
    {%- set reference = {} -%}
    {%- for group in [csv_paths, parquet_paths] if group -%}
        {%- set headers = [] -%}
        {%- for path in group -%}
            {%- set header = raw_file_header(path) -%}
            {%- do check_raw_header(path, header, spec) -%}
            {%- if not reference -%}
                {%- do reference.update({"path": path, "columns": normalised_columns(header)}) -%}
            {%- elif normalised_columns(header) != reference["columns"] -%}
                {{ exceptions.raise_compiler_error(
                    "Raw file '" ~ path ~ "' has the columns " ~ (normalised_columns(header) | join(", "))
                    ~ " but '" ~ reference["path"] ~ "' of the same table has "
                    ~ (reference["columns"] | join(", "))
                    ~ ". Every file of a raw table must have the same header (same names, same order)."
                ) }}
            {%- endif -%}
            {%- do headers.append(header) -%}
        {%- endfor -%}
        {%- do parts.append(select_raw_files(group, headers[0], spec)) -%}
    {%- endfor -%}
    {{ return(parts | join("\nunion all\n")) }}
{%- endmacro %}


{# The select over one group of files of one format sharing one header. #}
{% macro select_raw_files(paths, header, spec) %}
    {%- set file_columns = {} -%}
    {%- for column in header -%}
        {%- do file_columns.update({column | trim | lower: column}) -%}
    {%- endfor -%}

    {%- set extra = [] -%}
    {%- for column in file_columns if column not in spec["columns"] -%}
        {%- do extra.append(column) -%}
    {%- endfor -%}
    {%- if extra -%}
        {{ log("raw file(s) " ~ (paths | join(", ")) ~ ": ignoring extra column(s) " ~ (extra | join(", ")), info=true) }}
    {%- endif %}
    select
        _source_row_number,
        _source_file,
        _wrong_field_count,
        {%- for column in spec["columns"] %}
        {%- set value = adapter.quote(file_columns[column]) if column in file_columns else "cast(null as " ~ dbt.type_string() ~ ")" %}
        {%- if column in spec.get("pii", []) %}
        {{ hash_pii(value) }} as {{ column }}_hash
        {%- else %}
        {{ value }} as {{ column }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {%- endfor %}
    from ({{ raw_files_reader(paths, header) }}) as raw_rows
{%- endmacro %}


{# An empty relation with the raw table's columns, all text. #}
{% macro empty_raw_relation(spec) %}
    select
        cast(null as bigint) as _source_row_number,
        cast(null as {{ dbt.type_string() }}) as _source_file,
        false as _wrong_field_count,
        {%- for column in spec["columns"] %}
        cast(null as {{ dbt.type_string() }}) as {{ column }}{{ "_hash" if column in spec.get("pii", []) }}
        {{- "," if not loop.last }}
        {%- endfor %}
    where false
{%- endmacro %}


{% macro normalised_columns(header) %}
    {%- set columns = [] -%}
    {%- for column in header -%}
        {%- do columns.append(column | trim | lower) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}


{# Stops the build when a file has no header, names a column twice or lacks a required column. #}
{% macro check_raw_header(path, header, spec) %}
    {%- if header | length == 0 -%}
        {{ exceptions.raise_compiler_error("Raw file '" ~ path ~ "' is empty (no header row).") }}
    {%- endif -%}
    {%- set seen = [] -%}
    {%- for column in normalised_columns(header) -%}
        {%- if column in seen -%}
            {{ exceptions.raise_compiler_error(
                "Raw file '" ~ path ~ "' names the column '" ~ column ~ "' twice in its header"
                ~ " (columns: " ~ (header | join(", ")) ~ "). Rename or drop one of them."
            ) }}
        {%- endif -%}
        {%- do seen.append(column) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for column in spec["required"] if column not in seen -%}
        {%- do missing.append(column) -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "Raw file '" ~ path ~ "' lacks required column(s): " ~ (missing | join(", "))
            ~ ". Columns found in the file: " ~ (header | join(", "))
            ~ ". Expected columns (docs/raw-data.md): " ~ (spec["columns"] | join(", "))
            ~ ". Check the header row and the delimiter (CSV must be comma-separated)."
        ) }}
    {%- endif -%}
{%- endmacro %}


{#
    The files of raw table <name>: [<directory>/<name>.csv] etc., or the
    files of the folder <directory>/<name>/ (sorted by name); [] when the
    table is absent and optional. Stops the build when the table is
    ambiguous (a file and a folder, or files of two formats) or required
    and missing.
#}
{% macro find_raw_files(directory, name, spec) %}
    {%- set extensions = [".csv", ".csv.gz", ".parquet"] -%}
    {%- set single = [] -%}
    {%- set folder = [] -%}
    {%- for listed_path in list_raw_files(directory) | sort -%}
        {%- set file_name = listed_path.rstrip("/").split("/")[-1] -%}
        {%- for extension in extensions if file_name.lower() == name ~ extension -%}
            {%- do single.append(directory ~ "/" ~ file_name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {#- a folder is seen through its files (the engines list files only) -#}
    {%- for listed_path in list_raw_files(directory ~ "/*") | sort -%}
        {%- set folder_name = listed_path.rstrip("/").split("/")[-2] -%}
        {%- if folder_name.lower() == name and (directory ~ "/" ~ folder_name) not in folder -%}
            {%- do folder.append(directory ~ "/" ~ folder_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if (single + folder) | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Both " ~ ((single + folder) | join(" and ")) ~ " exist: keep one file per raw table"
            ~ " (or one folder '" ~ name ~ "/' of files)."
        ) }}
    {%- endif -%}
    {%- if folder -%}
        {%- set files = [] -%}
        {%- set others = [] -%}
        {%- for listed_path in list_raw_files(folder[0]) | sort -%}
            {%- set file_name = listed_path.rstrip("/").split("/")[-1] -%}
            {%- set matched = [] -%}
            {%- for extension in extensions if file_name.lower().endswith(extension) -%}
                {%- do matched.append(extension) -%}
            {%- endfor -%}
            {%- if matched -%}
                {%- do files.append(folder[0] ~ "/" ~ file_name) -%}
            {%- elif not file_name.startswith(".") -%}
                {%- do others.append(file_name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if others -%}
            {{ log("raw folder " ~ folder[0] ~ ": ignoring file(s) that are not .csv, .csv.gz or .parquet: " ~ (others | join(", ")), info=true) }}
        {%- endif -%}
        {%- if files | length == 0 and spec["file_required"] -%}
            {{ exceptions.raise_compiler_error(
                "Raw folder '" ~ folder[0] ~ "' holds no .csv, .csv.gz or .parquet file."
            ) }}
        {%- endif -%}
        {{ return(files) }}
    {%- endif -%}
    {%- if single | length == 0 and spec["file_required"] -%}
        {{ exceptions.raise_compiler_error(
            "Required raw file '" ~ directory ~ "/" ~ name ~ ".csv' (or .csv.gz, .parquet, or a folder '"
            ~ name ~ "/' of such files) not found. Set RAW_DATA_DIR to the folder that holds the raw files."
        ) }}
    {%- endif -%}
    {{ return(single) }}
{%- endmacro %}


{# Paths of the files in a directory (the engine lists them; `directory`
   may end in a glob, e.g. RAW_DATA_DIR/* for the files of its sub-folders). #}
{% macro list_raw_files(directory) %}
    {{- return(adapter.dispatch('list_raw_files', 'retention')(directory)) -}}
{%- endmacro %}

{% macro default__list_raw_files(directory) %}
    {{- return(run_query("select file from glob('" ~ directory ~ "/*')").columns[0].values()) -}}
{%- endmacro %}


{# The column names of one file's header, as written (a UTF-8 BOM is dropped). #}
{% macro raw_file_header(path) %}
    {{- return(adapter.dispatch('raw_file_header', 'retention')(path)) -}}
{%- endmacro %}

{% macro default__raw_file_header(path) %}
    {%- if path.lower().endswith(".parquet") -%}
        {%- set described = run_query("describe select * from read_parquet('" ~ path ~ "')") -%}
        {{ return(described.columns[0].values() | list) }}
    {%- endif -%}
    {#- the first line as text fields, without DuckDB's sniffer (which gives
        up on files with ragged rows): up to 500 declared columns, padded
        with null; an empty field reads as '' and a padded one as null, so a
        trailing comma in the header is an unnamed column, not a shorter
        header -#}
    {%- set columns = [] -%}
    {%- for number in range(1, 501) -%}
        {%- do columns.append("'c" ~ number ~ "': 'varchar'") -%}
    {%- endfor -%}
    {%- set first = run_query(
        "select * from read_csv('" ~ path ~ "', header = false, auto_detect = false, skip = 0,"
        ~ " delim = ',', quote = '\"', escape = '\"', null_padding = true, strict_mode = false,"
        ~ " nullstr = '\\u0001', columns = {" ~ (columns | join(", ")) ~ "}) limit 1"
    ) -%}
    {%- set header = [] -%}
    {%- if first.rows | length == 0 -%}
        {{ return(header) }}
    {%- endif -%}
    {%- for value in first.rows[0].values() if value is not none -%}
        {%- set name = value.lstrip("\ufeff") -%}
        {%- do header.append(name if name | trim else "_unnamed_column_" ~ loop.index) -%}
    {%- endfor -%}
    {{ return(header) }}
{%- endmacro %}


{#
    A relation over some files of one format and header:
    the header's columns + _source_file + _source_row_number +
    _wrong_field_count (always false for Parquet).
#}
{% macro raw_files_reader(paths, header) %}
    {{- return(adapter.dispatch('raw_files_reader', 'retention')(paths, header)) -}}
{%- endmacro %}

{% macro default__raw_files_reader(paths, header) %}
    {%- set file_list = "['" ~ (paths | join("', '")) ~ "']" -%}
    {%- if paths[0].lower().endswith(".parquet") -%}
        select
            * exclude (file_row_number, filename),
            filename as _source_file,
            file_row_number + 1 as _source_row_number,
            false as _wrong_field_count
        from read_parquet({{ file_list }}, file_row_number = true, filename = true)
    {%- else -%}
        {#-
            Every field as text, the header's names, plus one spare column:
            a row with too many fields fills it, a row with too few leaves
            the last column null (null_padding). Empty fields read as ''
            (nullstr is a value no export writes), so a padded field is the
            only null. strict_mode = false: a row with still more fields
            does not stop the reader. Data row numbers follow the scan order
            (preserve_insertion_order is on by default).
        -#}
        {%- set columns = [] -%}
        {%- for column in header -%}
            {%- do columns.append("'" ~ column.replace("'", "''") ~ "': 'varchar'") -%}
        {%- endfor -%}
        {%- do columns.append("'_raw_overflow_field': 'varchar'") %}
        select
            * exclude (filename, _raw_overflow_field, _scan_row_number),
            filename as _source_file,
            _scan_row_number - min(_scan_row_number) over (partition by filename) + 1
                as _source_row_number,
            (
                _raw_overflow_field is not null
                or {{ adapter.quote(header[-1]) }} is null
            ) as _wrong_field_count
        from (
            select
                *,
                row_number() over () as _scan_row_number
            from read_csv(
                {{ file_list }},
                header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                columns = { {{- columns | join(", ") -}} },
                null_padding = true, strict_mode = false, nullstr = '\u0001',
                filename = true
            )
        )
    {%- endif -%}
{%- endmacro %}
