{#
    Before any model runs (on-run-start): an incremental table that the
    current code cannot extend is dropped, so that its model compiles and
    builds as a first build. dbt decides is_incremental() when it compiles
    a model, before its materialization runs: a table with other columns
    (built by an older version of the project, or before its code changed
    its columns) would otherwise make the incremental branch fail.

    Dropped: a selected incremental model's table that
    - has no meta.build_state row (built before the build log existed), or
    - has other columns than the model's YAML documents.
    --full-refresh rebuilds every table anyway; nothing is dropped then.
#}
{% macro drop_outdated_incremental_tables() %}
    {%- if not execute or target.type != 'duckdb' or flags.FULL_REFRESH -%}
        {{ return('') }}
    {%- endif -%}
    {%- set recorded = [] -%}
    {%- for row in build_log_query('select node_id from meta.build_state').rows -%}
        {%- do recorded.append(row[0]) -%}
    {%- endfor -%}
    {#- the columns of every table, read outside a transaction (build_log_query):
        the drops below then commit on their own -#}
    {%- set columns = {} -%}
    {%- for row in build_log_query(
        "select table_schema || '.' || table_name, string_agg(lower(column_name), ',' order by lower(column_name))"
        ~ " from information_schema.columns where table_catalog = '" ~ target.database ~ "' group by 1"
    ).rows -%}
        {%- do columns.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model'
        and node.config.materialized == 'incremental'
        and node.unique_id in selected_resources -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- if relation is not none -%}
            {%- set built = columns.get(node.schema ~ '.' ~ node.alias, '') -%}
            {%- set documented = node.columns.keys() | map('lower') | sort | join(',') -%}
            {%- set reason = none -%}
            {%- if node.unique_id not in recorded -%}
                {%- set reason = 'built before the build log (meta.build_state)' -%}
            {%- elif documented and built != documented -%}
                {%- set reason = 'its columns differ from the model\'s' -%}
            {%- endif -%}
            {%- if reason is not none -%}
                {{ log('Rebuilding ' ~ relation ~ ' from scratch: ' ~ reason, info=true) }}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
