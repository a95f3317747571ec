{#
    A raw table whose share of rejected rows exceeds var max_rejected_share
    (default 0.05) fails the build: the data is too broken to report on.
    Returns those tables; the log above the failure lists the reasons.
#}
-- depends_on: {{ ref('stg_shop__raw_row_counts') }}
-- depends_on: {{ ref('stg_shop__rejects') }}
-- depends_on: {{ ref('stg_shop__missing_fx_rates') }}
{{ config(severity='error') }}

{%- set counts = ref('stg_shop__raw_row_counts') %}
{%- set limit = var('max_rejected_share', 0.05) %}
{{ log_rejects(
    "Rejected share above max_rejected_share = " ~ limit ~ " (raise the var only if these rows may be ignored):",
    "exists (select 1 from " ~ counts ~ " where rejected_share > " ~ limit ~ ")"
) }}

select
    raw_table,
    raw_rows,
    rejected_rows,
    rejected_share
from {{ counts }}
where rejected_share > {{ limit }}
