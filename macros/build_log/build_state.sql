{#
    Build state and build log (DuckDB; README "Incremental builds",
    DECISIONLOG.md "Build state: a model is rebuilt only when its inputs changed").

    meta.build_state: one row per model or seed, the input version of the
    relation as it stands in the warehouse (a data test: the version it last
    passed on). meta.build_log: one row per model, seed or data test and
    invocation: what the materialization did (rebuilt, incremental,
    skipped, view; tested or skipped) and how many rows it wrote.

    A node's input version is the hash of everything its rows depend on:
    - its compiled code (vars, as_of_date and every macro are rendered into
      it), its materialization config and contract;
    - the content versions of its parents, as recorded in meta.build_state
      (the input version of the build that last changed their rows: an
      incremental run that wrote nothing leaves it as it was);
    - raw-layer models: the fingerprint (path, size, modification time, and
      for files up to 64 MB an md5 of the content) of each raw file they read
      (the store-export adapters: every file of RAW_DATA_DIR, and the
      RAW_DATABASE file when set; macros/build_log/raw_files.sql);
    - seeds: the checksum of the seed file and its column types;
    - code that reads the clock (current_date: build_date() with var
      build_date null): the UTC date of the build.
    A node whose version equals the recorded one, and whose relation
    exists, is not rebuilt: it writes 0 rows (macros/build_log/materializations.sql).
#}

{% macro build_log_setup() %}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    create schema if not exists meta;
    create table if not exists meta.build_state (
        node_id varchar,
        relation_name varchar,
        input_version varchar,
        content_version varchar,
        rebuild_version varchar,
        recorded_at timestamp
    );
    create table if not exists meta.build_log (
        invocation_id varchar,
        node_id varchar,
        relation_name varchar,
        materialization varchar,
        action varchar,
        input_version varchar,
        rows_before bigint,
        rows_after bigint,
        rows_inserted bigint,
        rows_deleted bigint,
        rows_written bigint,
        logged_at timestamp
    );
    create table if not exists meta.incremental_rows (
        invocation_id varchar,
        node_id varchar,
        rows_inserted bigint
    );
    {{ changelog_setup() }}
    {{ raw_files_setup() }}
{% endmacro %}


{# Runs `sql` outside dbt's transaction (autocommit) and returns the agate table. #}
{% macro build_log_query(sql) %}
    {%- call statement('build_log_query', fetch_result=True, auto_begin=False) -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(load_result('build_log_query').table) }}
{% endmacro %}


{#
    What meta.build_state records for the node being materialized and its
    parents, read in one query: {node_id: {'input_version': ...,
    'content_version': ..., 'rebuild_version': ...}} (the input version of
    the relation as built, the input version of the build that last changed
    its rows, the rebuild version of an incremental model). A node never
    built here has no entry.
#}
{% macro recorded_build_state() %}
    {%- set quoted = ["'" ~ model.unique_id ~ "'"] -%}
    {%- set parents = model.depends_on.nodes or [] -%}
    {%- for node_id in parents + upstream_through_views(parents) -%}
        {%- do quoted.append("'" ~ node_id ~ "'") -%}
    {%- endfor -%}
    {%- set table = build_log_query(
        "select node_id, input_version, content_version, rebuild_version from meta.build_state"
        ~ " where node_id in (" ~ (quoted | join(", ")) ~ ")"
    ) -%}
    {%- set found = {} -%}
    {%- for row in table.rows -%}
        {%- do found.update({row[0]: {
            'input_version': row[1], 'content_version': row[2], 'rebuild_version': row[3]
        }}) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}


{#
    The nodes a view among `node_ids` reads, and theirs while they are
    views too: a view's rows change with them even when the view itself
    was not run (a selection such as `-s base_shop__orders fct_orders`
    leaves stg_shop__orders out).
#}
{% macro upstream_through_views(node_ids) %}
    {%- set found = [] -%}
    {%- for node_id in node_ids -%}
        {%- set node = graph.nodes.get(node_id) -%}
        {%- if node is not none and node.config.materialized == 'view' -%}
            {%- for parent in node.depends_on.nodes -%}
                {%- do found.append(parent) -%}
            {%- endfor -%}
            {%- do found.extend(upstream_through_views(node.depends_on.nodes)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}


{# True for a model of the raw layer reading raw files (raw_<table>: its files' fingerprints are part of its version). #}
{% macro is_raw_view(node) %}
    {{ return(node.fqn[1] == 'raw' and node.name.startswith('raw_')) }}
{% endmacro %}


{#
    The version of a parent as its child sees it: the content version
    recorded when it last ran; for a view, that and the versions of what it
    reads (the same way, recursively; for a raw view the fingerprints of
    its files), so that a view not run in this invocation still passes on
    a change below it.
#}
{% macro parent_version(parent, recorded) %}
    {%- set version = recorded.get(parent, {}).get('content_version') -%}
    {%- set node = graph.nodes.get(parent) -%}
    {%- if version is none or node is none or node.config.materialized != 'view' -%}
        {{ return(version) }}
    {%- endif -%}
    {%- set parts = [version] -%}
    {%- for grandparent in node.depends_on.nodes | sort -%}
        {%- do parts.append(grandparent ~ '=' ~ (parent_version(grandparent, recorded) or 'unrecorded ' ~ invocation_id)) -%}
    {%- endfor -%}
    {%- if is_raw_view(node) -%}
        {%- do parts.append(raw_file_fingerprints(node.name[4:])) -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('\n'))) }}
{% endmacro %}


{# One recorded version (`column`) of the node being materialized, none when unrecorded. #}
{% macro recorded_version(recorded, column) %}
    {{ return(recorded.get(model.unique_id, {}).get(column)) }}
{% endmacro %}


{# The input version of the node being materialized (see the header). #}
{% macro node_input_version(code, recorded, excluded_parents=none) %}
    {#- a key list packed or not (small_key_list): the same rows -#}
    {%- set code = modules.re.sub(
        '/\\* key-list (\\w+) \\{ \\*/.*?/\\* \\} key-list \\*/', '\\1', code, flags=modules.re.DOTALL
    ) -%}
    {%- set parts = [
        model.resource_type, model.unique_id, code,
        config.get('materialized'), config.get('unique_key') | string,
        config.get('incremental_strategy') | string,
        config.get('column_types') | string,
        model.config.get('pre-hook', []) | string, model.config.get('post-hook', []) | string,
        model.contract | string,
    ] -%}
    {%- for name, column in model.columns.items() | sort -%}
        {%- do parts.append(name ~ ':' ~ column.data_type) -%}
    {%- endfor -%}
    {%- if model.resource_type == 'seed' -%}
        {%- do parts.append(model.checksum.checksum) -%}
    {%- endif -%}
    {%- set parents = [] -%}
    {%- for parent in model.depends_on.nodes | sort -%}
        {%- if excluded_parents is none or parent.split('.')[-1] not in excluded_parents -%}
            {%- do parents.append(parent) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for parent in parents -%}
        {#- a parent without a recorded version (never built here): always rebuild -#}
        {%- set version = parent_version(parent, recorded) -%}
        {%- do parts.append(parent ~ '=' ~ (version or 'unrecorded ' ~ invocation_id)) -%}
    {%- endfor -%}
    {#- code reading the clock (build_date() when var build_date is null)
        depends on the day of the build too -#}
    {#- a rebuild version leaves the day out: such a model re-checks its
        date-dependent rows itself (base_shop__orders: future-dated rejects) -#}
    {%- if reads_clock(code) and excluded_parents is none -%}
        {%- do parts.append('built on ' ~ modules.datetime.datetime.utcnow().date()) -%}
    {%- endif -%}
    {%- if is_raw_view(model) and excluded_parents is none -%}
        {%- do parts.append(raw_file_fingerprints(model.name[4:])) -%}
    {%- endif -%}
    {{ return(local_md5(parts | join('\n'))) }}
{% endmacro %}


{# True when `code` reads the clock (build_date() with var build_date null). #}
{% macro reads_clock(code) %}
    {%- set lowered = code | lower -%}
    {{ return('current_date' in lowered or 'current_timestamp' in lowered or 'now()' in lowered) }}
{% endmacro %}


{#
    True when a table of `row_count` rows (none: no table) is small enough
    that fingerprinting it before and after a rebuild costs next to
    nothing: at most 100,000 rows (two hash scans of a few milliseconds).
#}
{% macro is_small_table(row_count) %}
    {{ return(row_count is not none and row_count <= 100000) }}
{% endmacro %}


{#
    What a table holds, as one text: its column names and types, its row
    count and the sum of its rows' hashes (order-independent); none when
    the relation does not exist. Two equal fingerprints: the same rows.
#}
{% macro table_fingerprint(relation) %}
    {%- if load_cached_relation(relation) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {#- read with build_log_query (autocommit): a statement of the adapter
        would open a transaction that the build log's writes then join -#}
    {%- set found = build_log_query(
        "select (select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)"
        ~ " from information_schema.columns where table_catalog = '" ~ relation.database
        ~ "' and table_schema = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier
        ~ "'), count(*), coalesce(sum(hash(*columns(*))), 0) from " ~ relation
    ).rows[0] -%}
    {{ return(found | join(' | ')) }}
{% endmacro %}


{# True when `relation` exists and was built from `version`. #}
{% macro build_state_unchanged(relation, version, recorded) %}
    {%- if should_full_refresh() or load_cached_relation(relation) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(recorded_version(recorded, 'input_version') == version) }}
{% endmacro %}


{#
    Row count of the node's relation: before the materialization (`before`
    true) none when dbt's relation cache has no such relation (the
    on-run-start hook drops outdated tables through the adapter, which keeps
    the cache right); after it, counted in the table just built (a Python
    model creates it in place, outside the cache).
#}
{% macro relation_row_count(relation, before=false) %}
    {%- if before and load_cached_relation(relation) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(build_log_query('select count(*) from ' ~ relation).rows[0][0]) }}
{% endmacro %}


{#
    Records what the materialization did: meta.build_state gets the new
    input version (autocommit, after the model's own commit: if the run
    stops in between, the recorded version is the old one and the next
    build rebuilds) and, when rows changed, the new content version;
    meta.build_log gets one row. A skipped node, an incremental run that
    wrote no row, or a table rebuilt with the same rows (`same_rows`: a
    table that reads the clock or a small one, fingerprinted before and
    after) keeps its content version: its children are not rebuilt.
#}
{% macro record_build(relation, version, action, rows_before, rows_after, rows_inserted, rows_deleted, recorded, rebuild_version=none, same_rows=false) %}
    {%- set written = (rows_inserted or 0) + (rows_deleted or 0) -%}
    {%- set content = version -%}
    {%- if action == 'skipped' or (action == 'incremental' and written == 0) or same_rows -%}
        {%- set content = recorded_version(recorded, 'content_version') or version -%}
    {%- endif -%}
    {%- if rebuild_version is none -%}
        {%- set rebuild_version = recorded_version(recorded, 'rebuild_version') -%}
    {%- endif -%}
    {%- set null = 'null' -%}
    {#- a data test has no relation: null -#}
    {%- set relation_name = null if relation is none else "'" ~ (relation | string | replace("'", "''")) ~ "'" -%}
    {%- do build_log_query(
        "delete from meta.build_state where node_id = '" ~ model.unique_id ~ "';"
        ~ " insert into meta.build_state values ('" ~ model.unique_id ~ "', " ~ relation_name
        ~ ", '" ~ version ~ "', '" ~ content ~ "', "
        ~ ("'" ~ rebuild_version ~ "'" if rebuild_version else null) ~ ", current_localtimestamp());"
        ~ " insert into meta.build_log values ('" ~ invocation_id ~ "', '" ~ model.unique_id ~ "', "
        ~ relation_name ~ ", '" ~ config.get('materialized') ~ "', '" ~ action ~ "', '"
        ~ version ~ "', " ~ (rows_before if rows_before is not none else null) ~ ", "
        ~ (rows_after if rows_after is not none else null) ~ ", " ~ (rows_inserted or 0) ~ ", "
        ~ (rows_deleted or 0) ~ ", " ~ written ~ ", current_localtimestamp())"
    ) -%}
{% endmacro %}


{#
    The rebuild version of an incremental model with config
    incremental_inputs (e.g. ['raw_orders']): its input version without
    those parents and without the parts of its code between
    /* build-mode { */ and /* } build-mode */ (what differs between a first
    build and an incremental one, and values the incremental branch
    handles itself, such as fct_orders' as_of_date), computed on the
    model's first-build SQL (first_build_code()). When it changes,
    something else changed (its code, a var, another parent): the model
    compiles its first-build SQL (macro is_incremental) and the
    materialization replaces the table with it.
#}
{% macro node_rebuild_version(code, recorded) %}
    {%- set stripped = modules.re.sub('/\\* build-mode \\{ \\*/.*?/\\* \\} build-mode \\*/', ' ', code, flags=modules.re.DOTALL) -%}
    {%- set normalised = modules.re.sub('\\s+', ' ', stripped) -%}
    {{ return(node_input_version(normalised, recorded, config.get('incremental_inputs'))) }}
{% endmacro %}
