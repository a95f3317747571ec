{#
    DuckDB's table, incremental, view, seed and test materializations, wrapped:
    a node whose input version (node_input_version(), macros/build_log/build_state.sql)
    equals the one recorded for its relation is skipped; every node writes
    one row to meta.build_log with the rows it inserted and deleted. The
    work itself is done by the adapter's own materializations
    (dbt.materialization_<name>_<adapter>), unchanged. `--full-refresh`
    rebuilds every node.
#}

{% materialization table, adapter='duckdb', supported_languages=['sql', 'python'] %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set recorded = recorded_build_state() -%}
    {%- set version = node_input_version(compiled_code, recorded) -%}
    {%- if build_state_unchanged(target_relation, version, recorded) -%}
        {{ skip_unchanged_node(target_relation, version, recorded) }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {%- set rows_before = relation_row_count(this, before=true) -%}
    {#- a rebuilt table that holds the same rows keeps its content version,
        so that its children are not rebuilt for it. Checked for a table
        that reads the clock (rebuilt every day: base_shop__fx_rates is
        read by every model that converts money) and for a small one
        (base_shop__stores, rebuilt when the stores file is written again
        with the same rows, is read by every staging model); a large
        table's fingerprint would cost two scans of it -#}
    {%- set fingerprinted = reads_clock(compiled_code) or is_small_table(rows_before) -%}
    {%- set fingerprint_before = table_fingerprint(this) if fingerprinted else none -%}
    {%- if model.language == 'python' -%}
        {#- dbt submits a Python job only from a materialization's own
            statement('main'): the adapter's steps, for a plain table -#}
        {%- set existing_relation = load_cached_relation(this) -%}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {%- set backup_relation = make_backup_relation(
            target_relation, 'table' if existing_relation is none else existing_relation.type
        ) -%}
        {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
        {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
        {{ run_hooks(pre_hooks, inside_transaction=False) }}
        {{ run_hooks(pre_hooks, inside_transaction=True) }}
        {% call statement('main', language='python') -%}
            {{- create_table_as(False, intermediate_relation, compiled_code, 'python') }}
        {%- endcall %}
        {%- if existing_relation is not none -%}
            {{ adapter.rename_relation(existing_relation, backup_relation) }}
        {%- endif -%}
        {{ adapter.rename_relation(intermediate_relation, target_relation) }}
        {{ run_hooks(post_hooks, inside_transaction=True) }}
        {% do persist_docs(target_relation, model) %}
        {{ adapter.commit() }}
        {{ drop_relation_if_exists(backup_relation) }}
        {{ run_hooks(post_hooks, inside_transaction=False) }}
        {%- set result = {'relations': [target_relation]} -%}
    {%- else -%}
        {%- set result = dbt.materialization_table_duckdb() -%}
    {%- endif -%}
    {%- set rows_after = relation_row_count(target_relation) -%}
    {%- set same_rows = fingerprint_before is not none
        and table_fingerprint(target_relation) == fingerprint_before -%}
    {%- do record_build(
        target_relation, version, 'rebuilt', rows_before, rows_after, rows_after, rows_before,
        recorded, same_rows=same_rows
    ) -%}
    {{ return(result) }}
{% endmaterialization %}


{% materialization incremental, adapter='duckdb', supported_languages=['sql', 'python'] %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set recorded = recorded_build_state() -%}
    {%- set version = node_input_version(compiled_code, recorded) -%}
    {%- set unchanged = build_state_unchanged(target_relation, version, recorded) -%}
    {%- if not unchanged and config.get('incremental_inputs') and is_incremental() -%}
        {#- last built as a first build (or rebuilt) from the same inputs,
            now compiled as an incremental run: unchanged too -#}
        {%- set unchanged = build_state_unchanged(
            target_relation, node_input_version(first_build_code(), recorded), recorded
        ) -%}
    {%- endif -%}
    {%- if unchanged -%}
        {{ skip_unchanged_node(target_relation, version, recorded) }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set incremental_run = existing is not none and existing.is_table and not should_full_refresh() -%}
    {#- compiled as a first build although the table exists (macro
        is_incremental: something but its incremental inputs changed, or
        every key of its producer did): the run replaces every row -#}
    {%- set replaces_all = not incremental_run or not is_incremental() -%}
    {%- set rows_before = relation_row_count(this, before=true) -%}
    {%- set rebuild_version = none -%}
    {%- if config.get('incremental_inputs') -%}
        {#- from the first-build SQL in every run, as is_incremental() computes it -#}
        {%- set rebuild_version = node_rebuild_version(first_build_code(), recorded) -%}
    {%- endif -%}
    {%- do changelog_begin(replaces_all) -%}
    {%- do raw_files_begin(replaces_all) -%}
    {%- if incremental_run and replaces_all -%}
        {#- a rebuild: its first-build SQL written by CREATE TABLE AS, not
            into a temporary table and then inserted (10M orders, a var
            change: base_shop__orders 93-99 s before, 53-57 s so; 44-51 s
            in a full build) -#}
        {%- set result = dbt.materialization_table_duckdb() -%}
        {%- set incremental_run = false -%}
    {%- else -%}
        {%- set result = dbt.materialization_incremental_duckdb() -%}
    {%- endif -%}
    {%- do changelog_end() -%}
    {%- do raw_files_end() -%}
    {%- set rows_after = relation_row_count(target_relation) -%}
    {%- if incremental_run -%}
        {#- the rows the run inserted, counted by the delete+insert statement itself -#}
        {%- set inserted = build_log_query(
            "select coalesce(sum(rows_inserted), 0) from meta.incremental_rows where invocation_id = '"
            ~ invocation_id ~ "' and node_id = '" ~ model.unique_id ~ "'"
        ).rows[0][0] -%}
        {%- do record_build(
            target_relation, version, 'incremental', rows_before, rows_after,
            inserted, rows_before + inserted - rows_after, recorded, rebuild_version
        ) -%}
    {%- else -%}
        {%- do record_build(
            target_relation, version, 'rebuilt', rows_before, rows_after, rows_after, rows_before,
            recorded, rebuild_version
        ) -%}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}


{% materialization view, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set recorded = recorded_build_state() -%}
    {%- set version = node_input_version(compiled_code, recorded) -%}
    {%- if build_state_unchanged(target_relation, version, recorded) -%}
        {{ skip_unchanged_node(target_relation, version, recorded) }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {%- set result = dbt.materialization_view_default() -%}
    {#- a view stores no rows: it is recreated, nothing is written -#}
    {%- do record_build(target_relation, version, 'view', none, none, 0, 0, recorded) -%}
    {{ return(result) }}
{% endmaterialization %}


{% materialization seed, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set recorded = recorded_build_state() -%}
    {%- set version = node_input_version('', recorded) -%}
    {%- if build_state_unchanged(target_relation, version, recorded) -%}
        {#- dbt's seed runner reports the seed's table -#}
        {%- do store_result('agate_table', response='OK', agate_table=load_agate_table()) -%}
        {{ skip_unchanged_node(target_relation, version, recorded) }}
        {{ return({'relations': [target_relation]}) }}
    {%- endif -%}
    {%- set rows_before = relation_row_count(this, before=true) -%}
    {%- set result = dbt.materialization_seed_default() -%}
    {%- set rows_after = relation_row_count(target_relation) -%}
    {%- do record_build(target_relation, version, 'rebuilt', rows_before, rows_after, rows_after, rows_before, recorded) -%}
    {{ return(result) }}
{% endmaterialization %}


{# The node's inputs did not change: dbt's required 'main' statement is a no-op. #}
{% macro skip_unchanged_node(relation, version, recorded) %}
    {%- call statement('main', auto_begin=False) -%}
        select 'unchanged: {{ relation }}' as skipped
    {%- endcall -%}
    {%- do record_build(relation, version, 'skipped', none, none, 0, 0, recorded) -%}
{% endmacro %}



{#
    DuckDB's delete+insert, with these changes:
    - the delete joins the distinct keys to replace: the adapter's
      `delete ... using` the source joins every source row to every target
      row of the same key, which explodes when the key is not unique
      (base_shop__orders replaces whole buckets: 1,700 × 1,700 matches per
      bucket at 1M orders), and an `exists` over a query is a delim join
      that holds every target row (DECISIONLOG.md "Customer-state deletes
      join the distinct changed keys");
    - the count of the inserted rows goes to meta.incremental_rows, in the
      same statement and transaction (the temporary table is visible on this
      connection only);
    - a changelog producer records the keys of the rows it deletes and
      inserts (with config changelog_ignore: only the keys whose rows
      differ once those columns are left out; the deleted rows found by a
      semi join); a consumer with delete_changed_keys deletes the rows of every
      changed key, not only those of the keys it inserts
      (macros/build_log/changelog.sql).
#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set changelog_keys = config.get('changelog_keys') -%}
    {%- set changelog_ignore = config.get('changelog_ignore') -%}
    {%- if unique_key %}
    {%- set predicates -%}
        {%- for predicate in incremental_predicates or [] %}
        and {{ predicate }}
        {%- endfor %}
    {%- endset %}
    {#- the keys to replace: every changed key (delete_changed_keys: not only
        those the run inserts), or the keys of the rows it inserts -#}
    {%- if config.get('delete_changed_keys') -%}
    {%- set key_rows = keys_to_read(config.get('changes_from'), target, keys[1]) -%}
    {%- set key_columns = ['store_id', 'entity_id'] -%}
    {%- set target_columns = ['store_id', keys[1]] -%}
    {%- else -%}
    {%- set key_rows = 'select * from ' ~ source -%}
    {%- set key_columns = keys -%}
    {%- set target_columns = keys -%}
    {%- endif -%}
    {%- set matched -%}
        (select distinct {{ key_columns | join(', ') }} from ({{ key_rows }}) as changed) as changed_keys
    {%- endset %}
    {%- set match -%}
        {%- for key in key_columns %}
        changed_keys.{{ key }} = dbt_incremental_target.{{ target_columns[loop.index0] }}
        {{- " and" if not loop.last }}
        {%- endfor %}
    {%- endset %}
    {#- a semi join: inside the changelog's insert, DuckDB plans an `exists`
        as a delim join that materializes every target row -#}
    {%- set replaced_rows -%}
        {{ target }} as dbt_incremental_target
        semi join {{ matched }}
            on {{ match }}
        where true {{ predicates }}
    {%- endset %}
    {%- if changelog_keys and changelog_ignore is not none %}
    {{ log_changed_rows(replaced_rows, source, changelog_ignore) }};
    {%- elif changelog_keys %}
    {{ log_changes('select * from ' ~ replaced_rows) }};
    {%- endif %}
    delete from {{ target }} as dbt_incremental_target
    using {{ matched }}
    where {{ match }} {{ predicates }};
    {%- endif %}
    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }};
    {%- if changelog_keys and changelog_ignore is none %}
    {{ log_changes('select * from ' ~ source) }};
    {%- endif %}
    insert into meta.incremental_rows
    select '{{ invocation_id }}', '{{ model.unique_id }}', count(*) from {{ source }}
{%- endmacro %}


{#
    DuckDB's data test materialization, wrapped: a data test whose input
    version (its compiled SQL and config, and the content versions of the
    models and seeds it reads: node_input_version()) equals the one
    recorded when it last passed is not run again: its inputs hold the
    same rows, so it would pass again. dbt reports it as passed; the build
    log records it as `skipped`, a test that ran as `tested`. A test that
    fails or warns records nothing and runs on every build until it
    passes. `--full-refresh` and `--store-failures` run every test.
#}
{% materialization test, adapter='duckdb' %}
    {%- set recorded = recorded_build_state() -%}
    {%- set version = node_input_version(sql, recorded) -%}
    {%- set reusable = not should_store_failures() and not should_full_refresh() -%}
    {%- if reusable and recorded_version(recorded, 'input_version') == version -%}
        {%- call statement('main', fetch_result=True, auto_begin=False) -%}
            select 0 as failures, false as should_warn, false as should_error
        {%- endcall -%}
        {%- do record_build(none, version, 'skipped', none, none, 0, 0, recorded) -%}
        {{ return({'relations': []}) }}
    {%- endif -%}
    {%- set result = dbt.materialization_test_default() -%}
    {#- the test's query opened a transaction that dbt never commits: closed
        here, or the state recorded below would be rolled back with it -#}
    {%- do adapter.commit() -%}
    {%- set outcome = load_result('main').table.rows[0] -%}
    {%- if outcome[0] == 0 and not outcome[1] and not outcome[2] -%}
        {%- do record_build(none, version, 'tested', none, none, 0, 0, recorded) -%}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}
