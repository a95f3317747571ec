{{ config(materialized='table') }}

{#
    Every raw row that staging did not accept, with the reason. Together
    with the accepted rows it accounts for every raw row (tested by
    tests/assert_raw_rows_reconcile.sql).
#}

{%- set tables = {
    'orders': ['store_id', 'order_id'],
    'stores': ['store_id'],
    'customers': ['store_id', 'customer_id'],
    'refunds': ['store_id', 'refund_id'],
    'carts': ['store_id', 'cart_id'],
    'marketing_spend': ['store_id', 'month', 'channel'],
} %}

with
{% for table, keys in tables.items() %}
{{ table }}_rejects as (
    select
        '{{ table }}' as raw_table,
        _source_file as source_file,
        _source_row_number as source_row_number,
        concat_ws('|', {% for key in keys %}coalesce(cast({{ key }} as varchar), ''){{ ", " if not loop.last }}{% endfor %}) as record_key,
        reject_reason,
        _raw_values as raw_values
    from {{ ref('stg_shop__' ~ table ~ '_validated') }}
    where reject_reason is not null
),
{% endfor %}

final as (
    {% for table in tables %}
    select * from {{ table }}_rejects
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
