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
{{ log_rejects(
    "Rejected raw rows (details: staging.stg_shop__rejects):",
    "exists (select 1 from " ~ rejects ~ ")"
) }}

select
    raw_table,
    reject_reason,
    count(*) as rejected_rows
from {{ rejects }}
group by raw_table, reject_reason
