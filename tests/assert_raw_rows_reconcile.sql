{#
    Nothing is lost: for every raw table, raw rows = accepted rows + rejected
    rows. Returns the tables where the counts do not add up.
#}
{%- set tables = ['orders', 'stores', 'customers', 'refunds', 'carts', 'marketing_spend'] %}

with counts as (
    {%- for table in tables %}
    select
        '{{ table }}' as raw_table,
        (select count(*) from {{ ref('raw_' ~ table) }}) as raw_rows,
        (select count(*) from {{ ref('stg_shop__' ~ table) }}) as accepted_rows,
        (
            select count(*) from {{ ref('stg_shop__rejects') }}
            where raw_table = '{{ table }}'
        ) as rejected_rows
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from counts
where raw_rows != accepted_rows + rejected_rows
