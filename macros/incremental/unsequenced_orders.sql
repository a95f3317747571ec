{#
    unsequenced_orders(orders, refunds, stores): SQL query, one row per row
    of `orders` (stg_shop__orders rows) with every fct_orders column that
    does not depend on the customer's other orders, plus
    is_customer_purchase. fct_orders runs it on two inputs in an
    incremental build (the orders that may have changed, then every order
    of the customers whose orders changed) and on every order in a full
    one: the one home of the per-order amounts.

    Money goes to the reporting currency column by column, each rounded to
    cents; a full refund can then exceed subtotal - discount by a cent, so
    a purchase's refund is capped at that value: net = subtotal - discount
    - refund holds to the cent and is >= 0. net_revenue is recognised on
    purchases only.
#}
{% macro unsequenced_orders(orders, refunds, stores) %}
    select
        store_id,
        order_id,
        customer_id,
        industry_segment,
        ordered_at,
        order_date,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month,
        status,
        is_purchase,
        is_guest,
        currency as order_currency,
        cast(subtotal_reporting as decimal(18, 2)) as subtotal_amount,
        cast(discount_reporting as decimal(18, 2)) as discount_amount,
        cast(refund_amount_reporting as decimal(18, 2)) as refund_amount,
        cast(shipping_reporting as decimal(18, 2)) as shipping_amount,
        cast(tax_reporting as decimal(18, 2)) as tax_amount,
        cast(
            case
                when is_purchase then subtotal_reporting - discount_reporting - refund_amount_reporting
                else 0
            end as decimal(18, 2)
        ) as net_revenue,
        has_discount,
        discount_code,
        channel,
        device,
        is_customer_purchase
    from (
        select
            *,
            case
                when is_purchase then least(refund_reporting, subtotal_reporting - discount_reporting)
                else refund_reporting
            end as refund_amount_reporting
        from (
            select
                orders.*,
                {{ to_reporting_currency(
                    'coalesce(refunds.refunded_in_order_currency, 0)', 'orders.rate_to_reporting'
                ) }} as refund_reporting,
                {{ store_segment('stores.industry_segment') }} as industry_segment,
                orders.is_purchase and orders.customer_id is not null as is_customer_purchase
            from {{ orders }} as orders
            left join {{ refunds }} as refunds
                on
                    orders.store_id = refunds.store_id
                    and orders.order_id = refunds.order_id
            left join {{ stores }} as stores
                on orders.store_id = stores.store_id
        ) as with_refunds
    ) as with_net_revenue
{% endmacro %}
