"""Stand-in marts for report tests, written into a COPY of a built warehouse.

The report reads marts that other parts of the project build. To exercise
every section before they exist in a branch, `add_missing_marts` creates the
absent ones as plain tables with the contract's columns, computed by pandas
from `fct_orders` and `dim_customers` (cohort retention brute force) or
filled with simple, known values (the rest). Marts that already exist are
left untouched, so on a full build the copy is the real thing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

SEGMENT_NAMES = ("Champions", "Loyal Customers", "Need Attention", "At Risk", "Lost")


def _exists(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    sql = "select count(*) from information_schema.columns where table_schema = 'marts' "
    sql += "and table_name = ?" + (" and column_name = ?" if column else "")
    params = [table, column] if column else [table]
    return con.execute(sql, params).fetchone()[0] > 0


def cohort_retention_brute_force(orders: pd.DataFrame, as_of_month: pd.Timestamp) -> pd.DataFrame:
    """fct_cohort_retention by loops over pandas groups: every offset, zeros included."""
    purchases = orders[orders["customer_order_number"].notna()].copy()
    purchases["order_month"] = pd.to_datetime(purchases["order_month"])
    purchases["cohort_month"] = pd.to_datetime(purchases["cohort_month"])
    rows = []
    for (store, segment, cohort), group in purchases.groupby(
        ["store_id", "industry_segment", "cohort_month"]
    ):
        size = group["customer_id"].nunique()
        months = (as_of_month.year - cohort.year) * 12 + as_of_month.month - cohort.month
        cumulative = 0.0
        for k in range(months + 1):
            at_k = group[group["months_since_first_order"] == k]
            revenue = float(at_k["net_revenue"].sum())
            cumulative += revenue
            rows.append(
                {
                    "store_id": store,
                    "industry_segment": segment,
                    "cohort_month": cohort.date(),
                    "months_since_first_order": k,
                    "cohort_size": size,
                    "active_customers": at_k["customer_id"].nunique(),
                    "retention_rate": at_k["customer_id"].nunique() / size,
                    "net_revenue": revenue,
                    "cumulative_net_revenue_per_customer": cumulative / size,
                }
            )
    return pd.DataFrame(rows)


def _retention_periods(customers: pd.DataFrame) -> pd.DataFrame:
    """Year rows per store with made-up but consistent counts (E = S - churned + N + R)."""
    rows = []
    for (store, segment), group in customers.groupby(["store_id", "industry_segment"]):
        base = len(group)
        for i, year in enumerate((2022, 2023, 2024)):
            start = 0 if i == 0 else base // 2 + 10 * i
            new = base // 4 + i
            churned = start // 3
            reactivated = start // 10
            end = start - churned + new + reactivated
            rows.append(
                {
                    "store_id": store,
                    "industry_segment": segment,
                    "period_grain": "year",
                    "period_start": pd.Timestamp(year, 1, 1).date(),
                    "period_end": pd.Timestamp(year, 12, 31).date(),
                    "is_complete": True,
                    "customers_start": start,
                    "customers_end": end,
                    "new_customers": new,
                    "retained_customers": start - churned,
                    "churned_customers": churned,
                    "reactivated_customers": reactivated,
                    "crr": (end - new) / start if start else None,
                    "churn_rate": churned / start if start else None,
                }
            )
    return pd.DataFrame(rows)


def add_missing_marts(source: Path, copy: Path) -> list[str]:
    """Copy the warehouse and add the marts it lacks; returns the names added."""
    shutil.copyfile(source, copy)
    added: list[str] = []
    with duckdb.connect(str(copy)) as con:
        orders = con.execute("select * from marts.fct_orders").df()
        customers = con.execute("select * from marts.dim_customers").df()
        as_of_month = pd.Timestamp(orders["order_month"].max())
        if not _exists(con, "fct_cohort_retention"):
            cohort = cohort_retention_brute_force(orders, as_of_month)  # noqa: F841
            con.execute("create table marts.fct_cohort_retention as select * from cohort")
            added.append("fct_cohort_retention")
        if not _exists(con, "fct_retention_periods"):
            periods = _retention_periods(customers)  # noqa: F841
            con.execute("create table marts.fct_retention_periods as select * from periods")
            added.append("fct_retention_periods")
        if not _exists(con, "rpt_retention_by_industry"):
            con.execute(
                """
                create table marts.rpt_retention_by_industry as
                select
                    industry_segment, period_grain, period_start, is_complete,
                    sum(customers_start) as customers_start,
                    sum(customers_end) as customers_end,
                    sum(new_customers) as new_customers,
                    (sum(customers_end) - sum(new_customers)) / nullif(sum(customers_start), 0)
                        as crr,
                    case when industry_segment like 'a%' then null else 0.3 end
                        as benchmark_retention_rate
                from marts.fct_retention_periods
                group by all
                """
            )
            added.append("rpt_retention_by_industry")
        if not _exists(con, "dim_customers", "predicted_clv"):
            con.execute("alter table marts.dim_customers add column predicted_clv decimal(18,2)")
            con.execute("update marts.dim_customers set predicted_clv = net_revenue * 0.4")
            added.append("dim_customers.predicted_clv")
        if not _exists(con, "rpt_customer_segments"):
            names = ", ".join(f"'{name}'" for name in SEGMENT_NAMES)
            con.execute(
                f"""
                create table marts.rpt_customer_segments as
                with scored as (
                    select *, ntile(5) over (partition by store_id order by net_revenue desc) as q
                    from marts.dim_customers
                )
                select
                    store_id,
                    list_extract([{names}], q) as rfm_segment,
                    count(*) as customers,
                    sum(net_revenue) as net_revenue,
                    avg(predicted_clv) as average_predicted_clv
                from scored
                group by all
                """
            )
            added.append("rpt_customer_segments")
        if not _exists(con, "rpt_unit_economics"):
            con.execute(
                """
                create table marts.rpt_unit_economics as
                select
                    store_id,
                    cohort_month as month,
                    count(*) as new_customers,
                    count(*) * 25.0 as marketing_spend,
                    avg(predicted_clv) as average_predicted_clv
                from marts.dim_customers
                group by all
                """
            )
            added.append("rpt_unit_economics")
        # the bundled sample has no holdout after as_of_date, so its calibration mart is
        # empty: give the section made-up deciles to draw (a stand-in, like the others)
        calibration_empty = not _exists(con, "rpt_next_purchase_calibration") or (
            con.execute("select count(*) from marts.rpt_next_purchase_calibration").fetchone()[0]
            == 0
        )
        if calibration_empty:
            con.execute("drop table if exists marts.rpt_next_purchase_calibration")
            con.execute(
                """
                create table marts.rpt_next_purchase_calibration as
                select
                    'fashion' as industry_segment,
                    horizon.days as horizon_days,
                    decile.d as prediction_decile,
                    92 as holdout_days,
                    100 as customers,
                    decile.d * horizon.days / 1000.0 as mean_predicted_probability,
                    decile.d * horizon.days / 1000.0 + 0.01 as actual_purchase_share
                from (select unnest([30, 90]) as days) as horizon
                cross join (select unnest(range(1, 11)) as d) as decile
                """
            )
            added.append("rpt_next_purchase_calibration")
    return added
