"""BG/NBD + Gamma-Gamma fit alone: retention.clv vs the `lifetimes` package, same customers.

The customer summary (docs/metrics.md "buy till you die" convention, days) comes
from the warehouse's fct_orders; at most ``max_customers`` customers are used
(a deterministic sample by key hash), so that the comparison is "on 1M
customers" whatever the order count. Ours is timed including the collapse to
unique rows; lifetimes gets one row per customer, as an analyst would pass it.

Run: ``python -m benchmarks.clv_fit WAREHOUSE.duckdb [--max-customers N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from retention.clv.bgnbd import fit_bgnbd
from retention.clv.gamma_gamma import fit_gamma_gamma
from retention.clv.simulate import collapse

SUMMARY_SQL = """
with days as (
    select store_id, customer_id, order_date, sum(net_revenue) as revenue
    from marts.fct_orders
    where customer_order_number is not null
    group by all
),
per_customer as (
    select
        store_id,
        customer_id,
        count(*) - 1 as frequency,
        date_diff('day', min(order_date), max(order_date)) as recency,
        date_diff('day', min(order_date), (select max(order_date) from marts.fct_orders)) as "T",
        coalesce(
            (sum(revenue) - arg_min(revenue, order_date)) / nullif(count(*) - 1, 0), 0
        ) as monetary_value
    from days
    group by store_id, customer_id
)
select frequency, recency, "T", monetary_value
from per_customer
order by hash(store_id, customer_id)
limit {limit}
"""


def customer_summary(warehouse: Path, max_customers: int) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(SUMMARY_SQL.format(limit=int(max_customers))).df()
    return frame.astype("float64")


def run(warehouse: Path, max_customers: int = 1_000_000, lifetimes: bool = True) -> dict:
    summary = customer_summary(warehouse, max_customers)
    result: dict[str, float | int | bool] = {"customers": len(summary)}
    start = time.perf_counter()
    rows = collapse(summary, ["frequency", "recency", "T"])
    # Gamma-Gamma needs positive spend (lifetimes refuses the rest): repeat buyers whose
    # refunds emptied their repeat purchases are left out of both fits alike
    repeat = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    spend_rows = collapse(repeat, ["frequency", "monetary_value"])
    bg = fit_bgnbd(rows["frequency"], rows["recency"], rows["T"], rows["n_customers"])
    gg = fit_gamma_gamma(
        spend_rows["frequency"], spend_rows["monetary_value"], spend_rows["n_customers"]
    )
    result["ours_seconds"] = time.perf_counter() - start
    result["ours_converged"] = bool(bg.converged and gg.converged)
    result["bgnbd_unique_rows"] = len(rows)
    result["gg_unique_rows"] = len(spend_rows)
    ours = np.array([bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma])
    if lifetimes:
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        start = time.perf_counter()
        bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        result["lifetimes_seconds"] = time.perf_counter() - start
        theirs = np.r_[bgf.params_.to_numpy(), ggf.params_.to_numpy()]
        result["max_relative_parameter_difference"] = float(np.max(np.abs(ours / theirs - 1)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--max-customers", type=int, default=1_000_000)
    parser.add_argument("--no-lifetimes", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.warehouse, args.max_customers, not args.no_lifetimes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
