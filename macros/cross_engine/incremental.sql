{#
    Incremental models on every engine, for a model config such as

        {{ config(
            materialized=incremental_materialization(),
            incremental_strategy=incremental_strategy(),
            unique_key=['store_id', 'order_id'],
        ) }}

    - DuckDB: incremental, delete+insert on unique_key;
    - Spark with Delta / Iceberg / Hudi tables (Databricks, or var
      spark_table_format set to one of them): incremental, merge on
      unique_key (Spark's row-level equivalent of delete+insert);
    - Spark with plain Parquet tables (the local session of `make
      test-spark`): a full table rebuild. Parquet tables have no row-level
      delete; insert_overwrite replaces whole partitions and would need a
      partition column the models do not have, so a rebuild is the only
      strategy that is always right there. is_incremental() is then false
      and a model's incremental filter is skipped.
#}

{% macro spark_table_format() -%}
    {{- return('delta' if target.type == 'databricks' else var('spark_table_format', 'parquet')) -}}
{%- endmacro %}

{% macro incremental_materialization() -%}
    {{- return(adapter.dispatch('incremental_materialization', 'retention')()) -}}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{- return('incremental') -}}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{- return('incremental' if spark_table_format() in ['delta', 'iceberg', 'hudi'] else 'table') -}}
{%- endmacro %}


{% macro incremental_strategy() -%}
    {{- return(adapter.dispatch('incremental_strategy', 'retention')()) -}}
{%- endmacro %}

{% macro default__incremental_strategy() -%}
    {{- return('delete+insert') -}}
{%- endmacro %}

{% macro spark__incremental_strategy() -%}
    {{- return('merge' if spark_table_format() in ['delta', 'iceberg', 'hudi'] else none) -}}
{%- endmacro %}


{#
    `not materialized` after a CTE's name on DuckDB: a CTE read twice is
    otherwise materialised in full, every column of every row, before
    either read filters it, and spilled beyond memory_limit. fct_orders:
    the orders compared, then re-sequenced; the bucketed staging models:
    the raw rows fingerprinted, then checked (bucket_change_ctes; reading
    the raw files twice is cheaper, DECISIONLOG.md "Staging reads its raw
    rows twice"), and their checks, run for the rows written and for the
    duplicate probes (DECISIONLOG.md "Duplicates are counted among
    probes"). Other engines: nothing (Spark has no such hint).
#}
{% macro not_materialized() -%}
    {{- 'not materialized' if target.type == 'duckdb' else '' -}}
{%- endmacro %}
