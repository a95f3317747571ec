{#
    Changelog of incremental models (DuckDB; DECISIONLOG.md "Changelog:
    downstream models read what changed instead of comparing everything").

    A producer (config changelog_keys, e.g. ['store_id', 'customer_id'])
    records, in the transaction of each incremental run, the keys of every
    row it deleted or inserted in meta.changes (with config
    changelog_ignore, a list of columns: only the keys whose rows differ
    once those columns are left out, log_changed_rows), under one change_id per run;
    a run that replaces the whole table (first build, full refresh, a
    rebuild version change) records one reset row instead ("everything
    changed").

    A consumer (config changes_from: the producer's name, or a list of
    names) reads the changes recorded after its position for each producer
    (meta.change_positions, set after each of its builds): changed_keys()
    lists the keys, all_keys_changed() is true when a reset was recorded or
    the consumer has no position (never built incrementally, or a run that
    replaced its table failed). With config
    delete_changed_keys, the consumer's delete+insert deletes every row of a
    changed key, so a key that has no row any more is removed.

    A change stays in meta.changes until every consumer's position has
    passed it.
#}

{% macro changelog_setup() %}
    create table if not exists meta.changes (
        producer varchar,
        change_id bigint,
        is_reset boolean,
        store_id varchar,
        entity_id varchar
    );
    create table if not exists meta.change_positions (
        consumer varchar,
        producer varchar,
        change_id bigint
    );
{% endmacro %}


{# The change_id of the producer's run in this invocation (changelog_begin). #}
{% macro change_id() %}
    {{ return(graph['retention.change_id ' ~ invocation_id ~ ' ' ~ model.unique_id]) }}
{% endmacro %}


{#
    Called by the incremental materialization before the run.
    - producer: takes the next change_id (above every change recorded and
      every consumer's position), forgets the positions of
      consumers the project no longer has, drops the changes every
      remaining consumer has read, and records a reset when the run
      replaces every row (`replaces_all`);
    - consumer: forgets its position when the run replaces its table
      (`replaces_all`): should the run fail, the next one reads every key;
      changelog_end records the new position.
#}
{% macro changelog_begin(replaces_all) %}
    {%- set producer_keys = config.get('changelog_keys') -%}
    {%- if producer_keys -%}
        {#- after every consumer's position too: once the changes holding the
            highest ids are dropped (every consumer read them), the highest
            id left in meta.changes can be lower than the position of a
            consumer that has not run since; a change numbered at or below
            that position would never be read by it -#}
        {%- set next_id = build_log_query(
            "select greatest("
            ~ "(select coalesce(max(change_id), 0) from meta.changes), "
            ~ "(select coalesce(max(change_id), 0) from meta.change_positions)) + 1"
        ).rows[0][0] -%}
        {%- do graph.update({'retention.change_id ' ~ invocation_id ~ ' ' ~ model.unique_id: next_id}) -%}
        {#- a consumer the project no longer has (removed, renamed or
            disabled) would hold its changes forever: its position goes -#}
        {%- set consumers = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and model.name in changes_from(node.config) -%}
                {%- do consumers.append("'" ~ node.name ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do build_log_query(
            "delete from meta.change_positions where producer = '" ~ model.name ~ "'"
            ~ (" and consumer not in (" ~ consumers | join(', ') ~ ")" if consumers else "")
        ) -%}
        {#- no position at all: every consumer reads every key in its next
            run (macro all_keys_changed), so no earlier change is needed -#}
        {%- do build_log_query(
            "delete from meta.changes where producer = '" ~ model.name ~ "' and change_id <= ("
            ~ "select coalesce(min(change_id), " ~ next_id ~ ") from meta.change_positions where producer = '"
            ~ model.name ~ "')"
        ) -%}
        {%- if replaces_all -%}
            {%- do build_log_query(
                "insert into meta.changes values ('" ~ model.name ~ "', " ~ next_id ~ ", true, null, null)"
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if config.get('changes_from') and replaces_all -%}
        {%- do build_log_query(
            "delete from meta.change_positions where consumer = '" ~ model.name ~ "'"
        ) -%}
    {%- endif -%}
{% endmacro %}


{# Called after a consumer's run: its position for each producer moves to the last change recorded. #}
{% macro changelog_end() %}
    {%- set producers = changes_from(config) -%}
    {%- if producers -%}
        {%- set positions = [] -%}
        {%- for producer in producers -%}
            {%- do positions.append(
                "select '" ~ model.name ~ "', '" ~ producer ~ "', coalesce(max(change_id), 0)"
                ~ " from meta.changes where producer = '" ~ producer ~ "'"
            ) -%}
        {%- endfor -%}
        {%- do build_log_query(
            "delete from meta.change_positions where consumer = '" ~ model.name ~ "';"
            ~ " insert into meta.change_positions " ~ positions | join(' union all ')
        ) -%}
    {%- endif -%}
{% endmacro %}


{# The producers a model's config `changes_from` names, as a list (empty when none). #}
{% macro changes_from(model_config) %}
    {%- set producers = model_config.get('changes_from') or [] -%}
    {{ return([producers] if producers is string else producers) }}
{% endmacro %}


{#
    SQL recording the keys of the rows `select_sql` returns (a query with
    the producer's changelog_keys as columns) as changes of this run; keys
    with a null part (a rejected row, a guest order) are left out.
#}
{% macro log_changes(select_sql) %}
    {%- set keys = config.get('changelog_keys') -%}
    insert into meta.changes
    select distinct
        '{{ model.name }}', {{ change_id() }}, false,
        cast({{ keys[0] }} as varchar), cast({{ keys[1] }} as varchar)
    from ({{ select_sql }}) as changed
    where {{ keys[0] }} is not null and {{ keys[1] }} is not null
{% endmacro %}


{#
    SQL recording the keys whose rows differ between `deleted` and
    `inserted` (FROM clauses: the rows a run deletes, the rows it inserts)
    once the `ignored` columns are left out: a row deleted and inserted
    again unchanged (a producer that rewrites a whole bucket for one
    changed row) is no change to its consumers. Rows are compared by a hash
    of their other columns, as multisets per key (a key's second copy
    appearing or going is a change).
#}
{% macro log_changed_rows(deleted, inserted, ignored) %}
    {%- set keys = config.get('changelog_keys') -%}
    {%- set compared -%}
        {{ keys | join(', ') }}, hash(*columns(* exclude ({{ ignored | join(', ') }}))) as row_hash
    {%- endset -%}
    {{ log_changes(
        'select ' ~ keys | join(', ') ~ ' from (select ' ~ compared ~ ', 1 as side from ' ~ deleted
        ~ ' union all select ' ~ compared ~ ', -1 as side from ' ~ inserted
        ~ ') as compared group by ' ~ keys | join(', ') ~ ', row_hash having sum(side) <> 0'
    ) }}
{% endmacro %}


{# The consumer's position (SQL scalar; null when it has none). #}
{% macro change_position(producer) -%}
    (
        select max(change_id) from meta.change_positions
        where consumer = '{{ model.name }}' and producer = '{{ producer }}'
    )
{%- endmacro %}


{#
    SQL boolean: every key must be read again (a reset, or no position).
    Other engines keep no changelog: always true there.
#}
{% macro all_keys_changed(producer) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return('true') }}
    {%- endif %}
    (
        {{ change_position(producer) }} is null
        or exists (
            select 1 from meta.changes
            where
                producer = '{{ producer }}'
                and is_reset
                and change_id > {{ change_position(producer) }}
        )
    )
{%- endmacro %}


{# SQL query: the keys changed since the consumer's position (store_id, entity_id). #}
{% macro changed_keys(producer) -%}
    {%- if target.type != 'duckdb' -%}
        {{ return(
            'select cast(null as ' ~ dbt.type_string() ~ ') as store_id, cast(null as '
            ~ dbt.type_string() ~ ') as entity_id where 1 = 0'
        ) }}
    {%- endif %}
    select distinct
        store_id,
        entity_id
    from meta.changes
    where
        producer = '{{ producer }}'
        and not is_reset
        and change_id > coalesce({{ change_position(producer) }}, -1)
{%- endmacro %}


{#
    True when, at compile time, the consumer must read every key of
    `producer` (all_keys_changed(); DuckDB, the model's table exists); false
    otherwise. Asked once per model and producer in an invocation.
#}
{% macro every_key_changed(producer) %}
    {%- if not execute or target.type != 'duckdb' or not dbt.is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set cache_key = 'retention.every_key_changed ' ~ invocation_id ~ ' ' ~ model.unique_id ~ ' ' ~ producer -%}
    {%- if cache_key not in graph -%}
        {%- do graph.update({cache_key: build_log_query("select " ~ all_keys_changed(producer)).rows[0][0]}) -%}
    {%- endif -%}
    {{ return(graph[cache_key]) }}
{% endmacro %}


{#
    True when, at compile time, the changelog of `producer` holds at most
    `limit` keys changed since this model's position and no reset
    (DuckDB, incremental run); false otherwise (small_key_list). Asked
    once per model and producer in an invocation (fct_orders packs three
    lists); after a reset the keys are not counted.
#}
{% macro few_changed_keys(producer, limit=1000000) %}
    {%- if not execute or target.type != 'duckdb' or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set cache_key = 'retention.few_changed_keys ' ~ invocation_id ~ ' ' ~ model.unique_id ~ ' ' ~ producer -%}
    {%- if cache_key not in graph -%}
        {%- set few = not every_key_changed(producer)
            and build_log_query(
                "select count(*) from (" ~ changed_keys(producer) ~ ")"
            ).rows[0][0] <= limit -%}
        {%- do graph.update({cache_key: few}) -%}
    {%- endif -%}
    {{ return(graph[cache_key]) }}
{% endmacro %}


{#
    SQL query: the keys (store_id, entity_id) a consumer must read again:
    those changed since its position, or every key of `relation` (its
    column `entity`) when every key changed. A plain key list, so that a
    model joins it as a semi-join (`exists`, no `or` around it: DuckDB
    turns an `or` beside an `exists` into a costly mark join).
#}
{% macro keys_to_read(producer, relation, entity) -%}
    {{ changed_keys(producer) }}
    union all
    select
        store_id,
        {{ entity }} as entity_id
    from {{ relation }}
    where {{ all_keys_changed(producer) }}
{%- endmacro %}

