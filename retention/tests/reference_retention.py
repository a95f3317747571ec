"""Brute-force reference for the retention marts (independent of the SQL).

Period retention is computed from its definition: for every day that a
period needs, the set of active customers is recomputed from all purchases
(customer active on day d when it bought on some p with d - W < p <= d), and
S, E, N, retained, churned and reactivated are set operations. The cohort
triangle is recounted from purchases month by month. Slow on purpose: it
visits every purchase for every needed day, which is fine for test-sized data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

GRAIN_MONTHS = {"month": 1, "quarter": 3, "year": 12}
PURCHASE_STATUSES = ("completed", "refunded")


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def purchases_from_orders(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Purchases: completed or refunded orders of a customer dated on or before as_of."""
    order_date = pd.to_datetime(orders["order_date"]).dt.date
    keep = (
        orders["status"].isin(PURCHASE_STATUSES)
        & orders["customer_id"].notna()
        & (order_date <= as_of)
    )
    purchases = orders.loc[keep].copy()
    purchases["order_date"] = order_date[keep]
    return purchases


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _period(index: int, months: int) -> Period:
    first_month = index * months
    start = date(first_month // 12, first_month % 12 + 1, 1)
    next_month = first_month + months
    end = date(next_month // 12, next_month % 12 + 1, 1) - timedelta(days=1)
    return Period(start, end)


def periods_between(first_day: date, as_of: date, grain: str) -> list[Period]:
    """Calendar periods from the one holding first_day to the one holding as_of."""
    months = GRAIN_MONTHS[grain]
    first = _month_index(first_day) // months
    last = _month_index(as_of) // months
    return [_period(index, months) for index in range(first, last + 1)]


def _active_on(codes: np.ndarray, days: np.ndarray, day: date, window: int) -> set[int]:
    ordinal = day.toordinal()
    mask = (days > ordinal - window) & (days <= ordinal)
    return set(np.unique(codes[mask]).tolist())


def reference_periods(purchases: pd.DataFrame, as_of: date, window_days: int) -> pd.DataFrame:
    """One row per store x grain x period, counts from sets of active customers."""
    rows: list[dict[str, object]] = []
    for store_id, store in purchases.groupby("store_id"):
        codes, _ = pd.factorize(store["customer_id"])
        days = np.array([d.toordinal() for d in store["order_date"]])
        first_purchase = pd.Series(days).groupby(codes).min()
        for grain in GRAIN_MONTHS:
            for period in periods_between(min(store["order_date"]), as_of, grain):
                measured_on = min(period.end, as_of)
                start_set = _active_on(codes, days, period.start - timedelta(days=1), window_days)
                end_set = _active_on(codes, days, measured_on, window_days)
                acquired = set(
                    first_purchase[
                        (first_purchase >= period.start.toordinal())
                        & (first_purchase <= measured_on.toordinal())
                    ].index.tolist()
                )
                new = acquired & end_set
                size = len(start_set)
                # returning customer rate: buyers of the period, and those of
                # them whose first purchase is before the period
                in_period = (days >= period.start.toordinal()) & (days <= measured_on.toordinal())
                buyers = set(np.unique(codes[in_period]).tolist())
                returning = {c for c in buyers if first_purchase[c] < period.start.toordinal()}
                rows.append(
                    {
                        "store_id": store_id,
                        "period_grain": grain,
                        "period_start": period.start,
                        "period_end": period.end,
                        "measured_on": measured_on,
                        "is_complete": period.end <= as_of,
                        "customers_start": size,
                        "customers_end": len(end_set),
                        "new_customers": len(new),
                        "retained_customers": len(start_set & end_set),
                        "churned_customers": len(start_set - end_set),
                        "reactivated_customers": len(end_set - start_set - acquired),
                        "acquired_customers": len(acquired),
                        "crr": (len(end_set) - len(new)) / size if size else None,
                        "churn_rate": len(start_set - end_set) / size if size else None,
                        "purchasing_customers": len(buyers),
                        "returning_customers": len(returning),
                        "returning_customer_rate": len(returning) / len(buyers) if buyers else None,
                    }
                )
    return pd.DataFrame(rows)


def reference_cohorts(purchases: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per store x cohort month x offset up to the month of as_of."""
    frame = purchases.copy()
    frame["month_index"] = [_month_index(d) for d in frame["order_date"]]
    frame["customer_key"] = list(zip(frame["store_id"], frame["customer_id"], strict=True))
    cohort_index = frame.groupby("customer_key")["month_index"].transform("min")
    frame["offset"] = frame["month_index"] - cohort_index
    frame["cohort_index"] = cohort_index
    last_index = _month_index(as_of)
    rows: list[dict[str, object]] = []
    for (store_id, cohort), cohort_rows in frame.groupby(["store_id", "cohort_index"]):
        size = cohort_rows["customer_key"].nunique()
        cumulative = 0.0
        for offset in range(last_index - cohort + 1):
            month_rows = cohort_rows[cohort_rows["offset"] == offset]
            revenue = float(month_rows["net_revenue"].sum())
            cumulative += revenue
            active = month_rows["customer_key"].nunique()
            rows.append(
                {
                    "store_id": store_id,
                    "cohort_month": date(cohort // 12, cohort % 12 + 1, 1),
                    "months_since_first_order": offset,
                    "cohort_size": size,
                    "active_customers": active,
                    "retention_rate": active / size,
                    "net_revenue": round(revenue, 2),
                    "cumulative_net_revenue_per_customer": cumulative / size,
                }
            )
    return pd.DataFrame(rows)
