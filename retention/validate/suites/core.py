"""Expectation suites of the core marts (models/marts/core/)."""

from __future__ import annotations

from retention.validate.suites.builder import (
    MONEY_TOLERANCE,
    ORDER_STATUSES,
    SuiteBuilder,
    contract_suite,
    marts,
)
from retention.validate.suites.forward import dim_customers_outlook


@contract_suite
def suite_fct_orders(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "order_id", "industry_segment", "ordered_at", "order_date", "status")
    b.not_null("net_revenue", "discount_amount", "subtotal_amount")
    b.unique("store_id", "order_id")
    b.in_set("status", ORDER_STATUSES)
    for money in ("net_revenue", "discount_amount", "subtotal_amount"):
        b.between(money, low=0)
    b.between("refund_amount", low=0)
    b.not_after_as_of("order_date")
    b.between("customer_order_number", low=1)
    b.between("days_since_previous_order", low=0)
    b.between("months_since_first_order", low=0)
    b.first_of("cohort_month")
    b.where_not(
        "is_first_order exactly when customer_order_number = 1",
        "(is_first_order is null and customer_order_number is null)"
        " or is_first_order = (customer_order_number = 1)",
        ["is_first_order", "customer_order_number"],
    )
    b.where_not(
        "non-purchases carry no net revenue",
        "status in ('completed', 'refunded') or net_revenue = 0",
        ["status", "net_revenue"],
    )


@contract_suite
def suite_dim_customers(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "customer_id", "industry_segment", "first_order_date", "cohort_month")
    b.not_null("last_order_date", "orders_count", "net_revenue")
    b.unique("store_id", "customer_id")
    b.between("orders_count", low=1)
    for money in ("net_revenue", "average_order_value", "historical_clv", "predicted_clv"):
        b.between(money, low=0)
    b.not_after_as_of("last_order_date")
    b.where_not(
        "first_order_date <= last_order_date",
        "first_order_date <= last_order_date",
        ["first_order_date", "last_order_date"],
    )
    b.where_not(
        "cohort_month is the month of first_order_date",
        "cohort_month = date_trunc('month', first_order_date)",
        ["cohort_month", "first_order_date"],
    )
    # buy-till-you-die summary
    for column in ("frequency", "recency_days", "tenure_days", "monetary_value"):
        b.between(column, low=0)
    b.where_not(
        "frequency <= orders_count - 1",
        "frequency <= orders_count - 1",
        ["frequency", "orders_count"],
    )
    b.where_not(
        "recency_days <= tenure_days",
        "recency_days <= tenure_days",
        ["recency_days", "tenure_days"],
    )
    # RFM
    for score in ("rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"):
        b.between(score, low=1, high=5)
    b.in_set("rfm_segment", b.facts.rfm_segments)
    # flags
    flags = (
        "is_first_time_buyer",
        "is_repeat_buyer",
        "is_vip",
        "is_discount_shopper",
        "is_full_price_buyer",
        "is_cart_abandoner",
        "is_high_aov",
        "is_big_spender",
        "is_churn_risk",
    )
    # is_cart_abandoner is null (unknown) for stores without carts data
    b.not_null(*(flag for flag in flags if flag != "is_cart_abandoner"))
    b.where_not(
        "is_first_time_buyer exactly when orders_count = 1",
        "is_first_time_buyer = (orders_count = 1)",
        ["is_first_time_buyer", "orders_count"],
    )
    b.where_not(
        "is_repeat_buyer exactly when orders_count >= 2",
        "is_repeat_buyer = (orders_count >= 2)",
        ["is_repeat_buyer", "orders_count"],
    )
    # predictions
    b.between("probability_alive", low=0, high=1)
    b.between("predicted_purchases", low=0)
    dim_customers_outlook(b)
    # reconciliation with fct_orders: customers, purchases and revenue
    b.no_rows(
        "customers, purchases and net revenue per store = fct_orders' customer purchases",
        f"""
        with customers as (
            select store_id, count(*) as customers, sum(orders_count) as purchases,
                   sum(net_revenue) as net_revenue
            from {{batch}} group by store_id
        ),
        orders as (
            select store_id, count(distinct customer_id) as customers, count(*) as purchases,
                   sum(net_revenue) as net_revenue
            from {marts("fct_orders")}
            where is_purchase and customer_id is not null
            group by store_id
        )
        select * from customers full join orders using (store_id)
        where customers.customers is distinct from orders.customers
           or customers.purchases is distinct from orders.purchases
           or abs(coalesce(customers.net_revenue, 0) - coalesce(orders.net_revenue, 0))
              > {MONEY_TOLERANCE}
        """,
        ["store_id", "orders_count", "net_revenue"],
        other={"fct_orders": ["store_id", "customer_id", "is_purchase", "net_revenue"]},
    )
