"""rpt_loyalty_retention on the built sample against a brute-force reference: the sets of
active customers of retention.tests.reference_retention, split by loyalty membership at each
period's measurement day."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from retention.tests.reference_retention import _active_on, periods_between

pytestmark = pytest.mark.slow

W = 365
COUNTS = [
    "customers_start",
    "customers_end",
    "new_customers",
    "retained_customers",
    "churned_customers",
    "reactivated_customers",
    "acquired_customers",
    "buying_customers",
]


def _reference(purchases: pd.DataFrame, members: pd.Series, as_of: date) -> pd.DataFrame:
    rows = []
    for store_id, store in purchases.groupby("store_id"):
        codes, names = pd.factorize(store["customer_id"])
        days = np.array([d.toordinal() for d in store["order_date"]])
        first_purchase = pd.Series(days).groupby(codes).min()
        since = members.get(store_id, pd.Series(dtype=object))
        member_since = np.array(
            [since.get(name, date.max).toordinal() for name in names], dtype=np.int64
        )
        for grain in ("quarter", "year"):
            for period in periods_between(min(store["order_date"]), as_of, grain):
                measured_on = min(period.end, as_of)
                start = _active_on(codes, days, period.start - timedelta(days=1), W)
                end = _active_on(codes, days, measured_on, W)
                acquired = set(
                    first_purchase[
                        (first_purchase >= period.start.toordinal())
                        & (first_purchase <= measured_on.toordinal())
                    ].index.tolist()
                )
                in_period = (days >= period.start.toordinal()) & (days <= measured_on.toordinal())
                buyers = set(np.unique(codes[in_period]).tolist())
                for is_member in (False, True):
                    group = {
                        c
                        for c in range(len(names))
                        if (member_since[c] <= measured_on.toordinal()) == is_member
                    }
                    s, e, a = start & group, end & group, acquired & group
                    rows.append(
                        {
                            "store_id": store_id,
                            "period_grain": grain,
                            "period_start": pd.Timestamp(period.start),
                            "is_loyalty_member": is_member,
                            "customers_start": len(s),
                            "customers_end": len(e),
                            "new_customers": len(a & e),
                            "retained_customers": len(s & e),
                            "churned_customers": len(s - e),
                            "reactivated_customers": len(e - s - a),
                            "acquired_customers": len(a),
                            "buying_customers": len(buyers & group),
                        }
                    )
    return pd.DataFrame(rows)


def test_loyalty_split_matches_reference(sample_warehouse) -> None:
    purchases = sample_warehouse.df(
        "select store_id, customer_id, order_date from marts.fct_orders "
        "where customer_order_number is not null"
    )
    purchases["order_date"] = pd.to_datetime(purchases["order_date"]).dt.date
    as_of = sample_warehouse.query(
        "select max(first_order_date + tenure_days) from marts.dim_customers"
    )[0][0]
    profiles = sample_warehouse.df(
        "select store_id, customer_id, cast(loyalty_member_since as date) as since "
        "from staging.stg_shop__customers where loyalty_member_since is not null"
    )
    profiles = profiles[pd.to_datetime(profiles["since"]).dt.date <= as_of]
    members = {
        store: group.set_index("customer_id")["since"].map(lambda d: pd.Timestamp(d).date())
        for store, group in profiles.groupby("store_id")
    }
    expected = _reference(purchases, members, as_of)
    assert expected.query("is_loyalty_member")["customers_end"].sum() > 0  # not vacuous
    actual = sample_warehouse.df(
        "select * from marts.rpt_loyalty_retention where period_grain in ('quarter', 'year')"
    )
    actual["period_start"] = pd.to_datetime(actual["period_start"])
    key = ["store_id", "period_grain", "period_start", "is_loyalty_member"]
    merged = expected.merge(actual, on=key, how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all()
    for column in COUNTS:
        diff = merged[merged[f"{column}_ref"] != merged[column]]
        assert diff.empty, (column, diff[[*key, f"{column}_ref", column]].head())
