{{ config(materialized='table') }}

{#
    Every raw row that staging did not accept, with the reason. Together
    with the accepted rows it accounts for every raw row (tested by
    tests/assert_raw_rows_reconcile.sql).
#}

with orders as (
    {{ rejected_rows('orders', ['store_id', 'order_id']) }}
),

stores as (
    {{ rejected_rows('stores', ['store_id']) }}
),

customers as (
    {{ rejected_rows('customers', ['store_id', 'customer_id']) }}
),

refunds as (
    {{ rejected_rows('refunds', ['store_id', 'refund_id']) }}
),

carts as (
    {{ rejected_rows('carts', ['store_id', 'cart_id']) }}
),

marketing_spend as (
    {{ rejected_rows('marketing_spend', ['store_id', 'month', 'channel']) }}
),

fx_rates as (
    {{ rejected_rows('fx_rates', ['currency', 'month']) }}
),

final as (
    select * from orders
    union all
    select * from stores
    union all
    select * from customers
    union all
    select * from refunds
    union all
    select * from carts
    union all
    select * from marketing_spend
    union all
    select * from fx_rates
)

select * from final
