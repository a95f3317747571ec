{#
    A build in which no order is accepted fails (docs/raw-data.md): an
    empty warehouse is never a green build. The log above the failure
    lists why the orders were rejected.
#}
-- depends_on: {{ ref('stg_shop__raw_row_counts') }}
-- depends_on: {{ ref('stg_shop__rejects') }}
-- depends_on: {{ ref('stg_shop__missing_fx_rates') }}
{{ config(severity='error') }}

{%- set counts = ref('stg_shop__raw_row_counts') %}
{{ log_rejects(
    "No order was accepted: the warehouse would be empty. Rejected rows by reason:",
    "exists (select 1 from " ~ counts ~ " where raw_table = 'orders' and accepted_rows = 0)"
) }}

select
    raw_table,
    raw_rows,
    rejected_rows
from {{ counts }}
where raw_table = 'orders' and accepted_rows = 0
