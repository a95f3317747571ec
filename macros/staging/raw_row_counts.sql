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
