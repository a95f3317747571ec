{#
    Any rejected row is a warning (the build goes on): one result per raw
    table and reason, and the log names the top reasons with their counts.
    Details: staging.stg_shop__rejects.
#}
-- depends_on: {{ ref('stg_shop__raw_row_counts') }}
-- depends_on: {{ ref('stg_shop__rejects') }}
-- depends_on: {{ ref('stg_shop__missing_fx_rates') }}
{{ config(severity='warn') }}

{%- set rejects = ref('stg_shop__rejects') %}
{%- if execute %}
    {%- set existing = adapter.get_relation(database=rejects.database, schema=rejects.schema, identifier=rejects.identifier) %}
    {%- if existing is not none and run_query("select count(*) from " ~ rejects).columns[0].values()[0] > 0 %}
        {{ log_rejects("Rejected raw rows (details: staging.stg_shop__rejects):") }}
    {%- endif %}
{%- endif %}

select
    raw_table,
    reject_reason,
    count(*) as rejected_rows
from {{ rejects }}
group by raw_table, reject_reason
