{#
    is_incremental(): dbt's macro (dbt.is_incremental()), and on DuckDB
    false as well when an incremental run of the model would replace every
    row anyway; the model then compiles its first-build SQL and the
    materialization writes it by CREATE TABLE AS, as a first build
    (DECISIONLOG.md "A model that replaces every row compiles as a first
    build"). That is the case for:
    - a model with config incremental_inputs whose rebuild version
      (node_rebuild_version() of its first-build SQL) differs from the
      recorded one: something other than its incremental inputs changed
      (its code, a var it reads, another parent, an upgrade of the
      project); its published rows all go;
    - a consumer with config delete_changed_keys whose producer changed
      every key (a reset, or no position: all_keys_changed()): it would
      recompute and replace every key.
    Before, such a run computed the incremental SQL over every key (10M
    orders, every model's code changed: fct_orders 62 s instead of 24 s,
    and the customer-level models out of memory at memory_limit 2GB).
    Decided once per model and invocation.
#}
{% macro is_incremental() %}
    {%- set incremental = dbt.is_incremental() -%}
    {%- if not incremental or target.type != 'duckdb' or not config.get('incremental_inputs') -%}
        {{ return(incremental) }}
    {%- endif -%}
    {%- if graph.get(first_build_code_key(), 'absent') is none -%}
        {#- first_build_code() is rendering the model -#}
        {{ return(false) }}
    {%- endif -%}
    {%- set cache_key = 'retention.is_incremental ' ~ invocation_id ~ ' ' ~ model.unique_id -%}
    {%- if cache_key not in graph -%}
        {%- set recorded = recorded_build_state() -%}
        {%- set rebuilds = recorded_version(recorded, 'rebuild_version')
            != node_rebuild_version(first_build_code(), recorded) -%}
        {%- set replaces_every_key = config.get('delete_changed_keys')
            and every_key_changed(config.get('changes_from')) -%}
        {%- do graph.update({cache_key: not (rebuilds or replaces_every_key)}) -%}
    {%- endif -%}
    {{ return(graph[cache_key]) }}
{% endmacro %}


{#
    first_build_code(): the model's SQL as a first build compiles it
    (is_incremental() false), rendered once per invocation. Its rebuild
    version decides is_incremental(); its input version lets the
    materialization skip a model whose last build was a first build (or a
    rebuild) of the same inputs, although the model now compiles its
    incremental SQL.
#}
{% macro first_build_code() %}
    {%- set cache_key = first_build_code_key() -%}
    {%- if cache_key not in graph -%}
        {%- do graph.update({cache_key: none}) -%}
        {%- do graph.update({cache_key: render(model.raw_code)}) -%}
    {%- endif -%}
    {{ return(graph[cache_key]) }}
{% endmacro %}


{% macro first_build_code_key() %}
    {{ return('retention.first_build_code ' ~ invocation_id ~ ' ' ~ model.unique_id) }}
{% endmacro %}
