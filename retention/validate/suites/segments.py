"""Expectation suites of the segments marts (models/marts/segments/)."""

from __future__ import annotations

from retention.validate.suites.builder import (
    MONEY_TOLERANCE,
    SuiteBuilder,
    contract_suite,
    marts,
    per_store_totals_match_dim_customers,
)


@contract_suite
def suite_rpt_customer_segments(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "rfm_segment", "customers")
    b.unique("store_id", "rfm_segment")
    b.in_set("rfm_segment", b.facts.rfm_segments)
    # every seed segment has a row per store, empty segments included
    b.between("customers", low=0)
    b.between("share_of_customers", low=0, high=1)
    b.between("share_of_revenue", low=0, high=1)
    for money in ("net_revenue", "average_historical_clv", "average_predicted_clv"):
        b.between(money, low=0)
    b.no_rows(
        "shares of customers sum to 1 per store",
        "select store_id, sum(share_of_customers) as total from {batch} group by store_id "
        "having abs(sum(share_of_customers) - 1) > 1e-6",
        ["store_id", "share_of_customers"],
    )
    per_store_totals_match_dim_customers(
        b,
        "customers and net revenue per store = dim_customers",
        "sum(customers)",
        ["store_id", "customers", "net_revenue"],
    )


@contract_suite
def suite_rpt_aov_by_device_channel(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "order_month", "breakdown", "breakdown_value", "purchases")
    b.unique("store_id", "order_month", "breakdown", "breakdown_value")
    b.in_set("breakdown", ["device", "channel"])
    b.first_of("order_month")
    b.between("purchases", low=1)
    b.between("share_of_purchases", low=0, high=1)
    b.no_rows(
        "shares of purchases sum to 1 per store, month and breakdown",
        "select store_id, order_month, breakdown from {batch} "
        "group by store_id, order_month, breakdown "
        "having abs(sum(share_of_purchases) - 1) > 1e-6",
        ["store_id", "order_month", "breakdown", "share_of_purchases"],
    )
    # each breakdown partitions the purchases of fct_orders: same counts and revenue
    b.no_rows(
        "purchases and net revenue per store, month and breakdown = fct_orders' purchases",
        f"""
        with batch_totals as (
            select store_id, order_month, breakdown,
                sum(purchases) as purchases, sum(net_revenue) as net_revenue
            from {{batch}} group by store_id, order_month, breakdown
        ),
        orders as (
            select store_id, order_month, count(*) as purchases, sum(net_revenue) as net_revenue
            from {marts("fct_orders")} where is_purchase group by store_id, order_month
        ),
        expected as (
            select orders.*, breakdowns.breakdown
            from orders cross join (values ('device'), ('channel')) as breakdowns (breakdown)
        )
        select * from batch_totals
        full join expected using (store_id, order_month, breakdown)
        where batch_totals.purchases is distinct from expected.purchases
           or abs(coalesce(batch_totals.net_revenue, 0) - coalesce(expected.net_revenue, 0))
              > {MONEY_TOLERANCE}
        """,
        ["store_id", "order_month", "breakdown", "purchases", "net_revenue"],
        other={"fct_orders": ["store_id", "order_month", "is_purchase", "net_revenue"]},
    )
