{#
    A build in which no order is accepted fails (CONTRACT.md section 3): an
    empty warehouse is never a green build. The log above the failure
    lists why the orders were rejected.
#}
-- depends_on: {{ ref('stg_shop__raw_row_counts') }}
-- depends_on: {{ ref('stg_shop__rejects') }}
-- depends_on: {{ ref('stg_shop__missing_fx_rates') }}
{{ config(severity='error') }}

{%- set counts = ref('stg_shop__raw_row_counts') %}
{%- if execute %}
    {%- set existing = adapter.get_relation(database=counts.database, schema=counts.schema, identifier=counts.identifier) %}
    {%- if existing is not none and run_query("select accepted_rows from " ~ counts ~ " where raw_table = 'orders'").columns[0].values()[0] == 0 %}
        {{ log_rejects("No order was accepted: the warehouse would be empty. Rejected rows by reason:") }}
    {%- endif %}
{%- endif %}

select
    raw_table,
    raw_rows,
    rejected_rows
from {{ counts }}
where raw_table = 'orders' and accepted_rows = 0
