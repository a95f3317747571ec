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
{%- if execute %}
    {%- set existing = adapter.get_relation(database=counts.database, schema=counts.schema, identifier=counts.identifier) %}
    {%- if existing is not none and run_query("select count(*) from " ~ counts ~ " where rejected_share > " ~ limit).columns[0].values()[0] > 0 %}
        {{ log_rejects("Rejected share above max_rejected_share = " ~ limit ~ " (raise the var only if these rows may be ignored):") }}
    {%- endif %}
{%- endif %}

select
    raw_table,
    raw_rows,
    rejected_rows,
    rejected_share
from {{ counts }}
where rejected_share > {{ limit }}
