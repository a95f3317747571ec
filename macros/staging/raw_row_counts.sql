{# Raw, accepted and rejected row counts of one raw table (one row). #}
{% macro raw_row_counts(table) %}
    select
        '{{ table }}' as raw_table,
        (select count(*) from {{ ref('raw_' ~ table) }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__' ~ table) }}) as accepted_rows,
        (
            select count(*) from {{ ref('stg_shop__rejects') }}
            where raw_table = '{{ table }}'
        ) as rejected_rows
{% endmacro %}


{#
    log_rejects(title, condition): at execution time, when the SQL
    boolean `condition` holds, logs
    the rejected rows by table and reason (top 10, with counts and the share
    of the table's raw rows) and the missing exchange rates, so that a
    warning or failing test says what was rejected, not only how many.
    Does nothing when the tables do not exist yet (dbt compile, docs).
#}
{% macro log_rejects(title, condition="true") %}
    {%- set counts = ref('stg_shop__raw_row_counts') -%}
    {%- if not relation_exists(counts) or not relation_exists(ref('stg_shop__missing_fx_rates')) -%}
        {{ return("") }}
    {%- endif -%}
    {%- if not run_query("select " ~ condition).columns[0].values()[0] -%}
        {{ return("") }}
    {%- endif -%}
    {%- set lines = [title] -%}
    {%- set rows = run_query(
        "select rejects.raw_table, rejects.reject_reason, count(*) as n, "
        ~ "round(100.0 * count(*) / max(counts.raw_rows), 1) as pct "
        ~ "from " ~ ref('stg_shop__rejects') ~ " as rejects "
        ~ "join " ~ counts ~ " as counts on rejects.raw_table = counts.raw_table "
        ~ "group by 1, 2 order by n desc, 1, 2 limit 10"
    ) -%}
    {%- for row in rows.rows -%}
        {%- do lines.append("  " ~ row[0] ~ ": " ~ row[1] ~ " " ~ row[2] ~ " rows (" ~ row[3] ~ "% of the table)") -%}
    {%- endfor -%}
    {%- set missing = run_query(
        "select currency, strftime(month, '%Y-%m') as month, count(*) from " ~ ref('stg_shop__missing_fx_rates')
        ~ " group by 1, 2 order by 1, 2 limit 12"
    ) -%}
    {%- if missing.rows | length > 0 -%}
        {%- set months = [] -%}
        {%- for row in missing.rows -%}
            {%- do months.append(row[0] ~ " " ~ row[1]) -%}
        {%- endfor -%}
        {%- do lines.append("  missing exchange rates (currency month): " ~ (months | join(", "))
            ~ ". Add them to RAW_DATA_DIR/fx_rates.csv (currency,month,rate_to_usd).") -%}
    {%- endif -%}
    {%- do log(lines | join("\n"), info=true) -%}
    {{ return("") }}
{% endmacro %}
