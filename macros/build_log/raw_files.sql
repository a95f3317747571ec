{#
    The raw files behind a raw-layer model, one fingerprint per file
    (DECISIONLOG.md "Unchanged raw files are not read"):

    - raw_file_fingerprints(raw_name): every file's fingerprint, joined: a
      raw-layer model's input version (macros/build_log/build_state.sql);
    - a bucketed staging model with config changed_raw_files (e.g.
      'raw_orders') reads only the files whose fingerprint differs from the
      one recorded when it last read them. Its materialization writes the
      files as they are now to meta.raw_files_seen before the build
      (raw_files_begin) and, once the build has committed, records them as
      read in meta.raw_files_read (raw_files_end); unchanged_raw_files_ctes()
      compares the two in the model's SQL. Taking the fingerprint before
      the build and recording it after: a file changed in between is read
      again next time; a build that stops leaves the old record (its files
      are read again).
#}

{#
    The files of raw table `raw_name` (orders, carts, ...) as the raw layer
    reads them: the contract's files (with customer_identity = email, the
    orders and carts views read the customers files too), or every file of
    RAW_DATA_DIR for a store-export adapter, plus the RAW_DATABASE file.
#}
{% macro raw_file_paths(raw_name) %}
    {%- set directory = raw_data_dir() -%}
    {%- if raw_format() == 'contract' and raw_name in raw_tables() -%}
        {%- set paths = find_raw_files(directory, raw_name, raw_tables()[raw_name]) -%}
        {%- if customer_identity() == 'email' and raw_name in ('orders', 'carts') -%}
            {%- set paths = paths + find_raw_files(directory, 'customers', raw_tables()['customers']) -%}
        {%- endif -%}
    {%- else -%}
        {#- an adapter reads files of its own layout: any file of the folder counts -#}
        {%- set paths = [directory ~ '/**'] -%}
    {%- endif -%}
    {%- if raw_database() -%}
        {#- RAW_DATABASE: the adapters read the export tables of this DuckDB file -#}
        {%- set paths = paths + [raw_database()] -%}
    {%- endif -%}
    {{ return(paths) }}
{% endmacro %}


{#
    [(path, fingerprint)] of each file of `paths` (globs allowed), sorted by
    path: size and modification time, and for files up to 64 MB (every test
    fixture, a daily or monthly file) an md5 of the content as well:
    modification times have one-second resolution, so a file rewritten
    within the same second at the same size would otherwise look unchanged.

    Read once per invocation and kept in its graph dict (as as_of_date()
    does): a raw view's version, its children's view of it and the
    staging model's raw_files_begin would otherwise hash every file three
    times. A file rewritten during the build is then recorded with its
    earlier fingerprint, so the next build reads it again.
#}
{% macro raw_file_states(paths) %}
    {%- if paths | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set cache_key = 'retention.raw_file_states ' ~ invocation_id ~ ' ' ~ (paths | join('|')) -%}
    {%- if cache_key in graph -%}
        {{ return(graph[cache_key]) }}
    {%- endif -%}
    {%- set quoted = [] -%}
    {%- for path in paths -%}
        {%- do quoted.append("'" ~ path ~ "'") -%}
    {%- endfor -%}
    {%- set files = build_log_query(
        "select filename, size || ':' || last_modified"
        ~ " || case when size <= 67108864 then ':' || md5(content) else '' end"
        ~ " from read_blob([" ~ (quoted | join(", ")) ~ "]) order by filename"
    ) -%}
    {%- set states = [] -%}
    {%- for row in files.rows -%}
        {%- do states.append((row[0], row[1])) -%}
    {%- endfor -%}
    {%- do graph.update({cache_key: states}) -%}
    {{ return(states) }}
{% endmacro %}


{# Every raw file a raw-layer model reads, with its fingerprint, as one string ('no files' when none). #}
{% macro raw_file_fingerprints(raw_name) %}
    {%- set states = raw_file_states(raw_file_paths(raw_name)) -%}
    {%- if states | length == 0 -%}
        {{ return('no files') }}
    {%- endif -%}
    {%- set fingerprints = [] -%}
    {%- for path, fingerprint in states -%}
        {%- do fingerprints.append(path ~ ':' ~ fingerprint) -%}
    {%- endfor -%}
    {{ return(fingerprints | join('|')) }}
{% endmacro %}


{#
    The raw table whose unchanged files the model being built skips: its
    config changed_raw_files without the raw_ prefix (e.g. 'orders'), on
    DuckDB, for the contract's files read by customer_id. None otherwise:
    a store-export adapter's rows do not map to one file each, and with
    customer_identity = email a change of the customers file re-keys rows
    of every orders and carts file; these read every file.
#}
{% macro changed_raw_files_table() %}
    {%- set raw_model = config.get('changed_raw_files') -%}
    {%- if not raw_model or target.type != 'duckdb' or raw_format() != 'contract'
        or customer_identity() != 'customer_id' or raw_database() -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(raw_model[4:]) }}
{% endmacro %}


{# on-run-start (DuckDB): the two tables of raw file states (called by build_log_setup). #}
{% macro raw_files_setup() %}
    create table if not exists meta.raw_files_seen (
        node_id varchar,
        source_file varchar,
        file_fingerprint varchar
    );
    create table if not exists meta.raw_files_read (
        node_id varchar,
        source_file varchar,
        file_fingerprint varchar
    );
{% endmacro %}


{#
    Before the build of a model with changed_raw_files: its raw files as
    they are now go to meta.raw_files_seen; when the build replaces every
    row (first build, full refresh, rebuild), the record of what it read
    is deleted, so that it reads every file.
#}
{% macro raw_files_begin(replaces_all) %}
    {%- set raw_name = changed_raw_files_table() -%}
    {%- if raw_name is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set node = "'" ~ model.unique_id ~ "'" -%}
    {%- set statements = ["delete from meta.raw_files_seen where node_id = " ~ node] -%}
    {%- set values = [] -%}
    {%- for path, fingerprint in raw_file_states(raw_file_paths(raw_name)) -%}
        {%- do values.append("(" ~ node ~ ", '" ~ path | replace("'", "''") ~ "', '" ~ fingerprint ~ "')") -%}
    {%- endfor -%}
    {%- if values -%}
        {%- do statements.append("insert into meta.raw_files_seen values " ~ (values | join(", "))) -%}
    {%- endif -%}
    {%- if replaces_all -%}
        {%- do statements.append("delete from meta.raw_files_read where node_id = " ~ node) -%}
    {%- endif -%}
    {%- do build_log_query(statements | join(";\n")) -%}
    {%- set counts = build_log_query(
        "select count(*) filter (where last_read.file_fingerprint is null), count(*)"
        ~ " from meta.raw_files_seen as seen left join meta.raw_files_read as last_read"
        ~ " on seen.node_id = last_read.node_id and seen.source_file = last_read.source_file"
        ~ " and seen.file_fingerprint = last_read.file_fingerprint"
        ~ " where seen.node_id = " ~ node
    ).rows[0] -%}
    {{ log(model.name ~ ": " ~ counts[0] ~ " of " ~ counts[1] ~ " raw files new or changed since it last read them", info=true) }}
{% endmacro %}


{# After the build has committed: the files seen before it are the files read. #}
{% macro raw_files_end() %}
    {%- if changed_raw_files_table() is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set node = "'" ~ model.unique_id ~ "'" -%}
    {%- do build_log_query(
        "delete from meta.raw_files_read where node_id = " ~ node ~ ";"
        ~ " insert into meta.raw_files_read select * from meta.raw_files_seen where node_id = " ~ node
    ) -%}
{% endmacro %}
