"""Expectation suites of the segments marts (models/marts/segments/)."""

from __future__ import annotations

from retention.validate.suites.builder import (
    SuiteBuilder,
    contract_suite,
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
