"""Baseline B: the marts computed in pandas, the way an analyst would write them.

Same inputs and rules as baseline A (see baseline_duckdb.py). Period retention
is computed by brute force on the definition (docs/metrics.md): for every period's
measurement day m = least(period end, as_of), the active customers are those
with a purchase day in (m - W, m]; S, E, N, retained, churned and reactivated
come from set operations on those customer sets. It is therefore an
independent check of the warehouse's span ("islands") formulation.

Writes fct_orders, dim_customers, fct_retention_periods and
fct_cohort_retention as Parquet files into OUT_DIR.
Run: ``python -m benchmarks.baseline_pandas RAW_DIR OUT_DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.baseline_duckdb import GRAINS, SEEDS
from retention.pii import pii_hash_salt

PURCHASE_STATUSES = ("completed", "refunded")
STATUSES = ("completed", "cancelled", "refunded", "pending")
LOW, HIGH = pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01")


def _round_cents(values: pd.Series) -> pd.Series:
    """Round to cents half away from zero, exactly as DuckDB's round(double, 2)."""
    scaled = values * 100.0
    whole = np.trunc(scaled)
    whole = whole + np.sign(scaled) * (np.abs(scaled - whole) >= 0.5)
    return whole / 100.0


def _cents(values: pd.Series) -> pd.Series:
    """Money with two decimals as integer cents, so that sums and differences are exact."""
    return np.round(values * 100.0).astype("int64")


def _money(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _read(path: Path) -> pd.DataFrame:
    """Read a Parquet file; decimals become float64 in Arrow (pandas would make Decimal objects)."""
    table = pq.read_table(path)
    schema = pa.schema(
        pa.field(f.name, pa.float64()) if pa.types.is_decimal(f.type) else f for f in table.schema
    )
    return table.cast(schema).to_pandas()


def _fx(reporting: str) -> pd.DataFrame:
    rates = pd.read_csv(SEEDS / "fx_rates.csv", parse_dates=["month"])
    rates["currency"] = rates["currency"].str.upper()
    base = rates.loc[rates["currency"] == reporting, ["month", "rate_to_usd"]]
    merged = rates.merge(base, on="month", suffixes=("", "_reporting"))
    merged["rate"] = merged["rate_to_usd"] / merged["rate_to_usd_reporting"]
    return merged[["currency", "month", "rate"]]


def _stores(raw: Path) -> pd.DataFrame:
    stores = pd.read_parquet(raw / "stores.parquet")
    stores = stores.dropna(subset=["store_id"]).drop_duplicates("store_id")
    # a store keeps its own segment code (the seed only decides benchmarks)
    stores["industry_segment"] = stores["industry_segment"].str.strip().str.lower()
    stores["industry_segment"] = stores["industry_segment"].replace("", None).fillna("unclassified")
    stores["store_currency"] = stores["currency"].str.upper()
    stores["timezone"] = stores["timezone"].str.strip().replace("", None)
    return stores[["store_id", "industry_segment", "store_currency", "timezone"]]


def _local_dates(utc: pd.Series, zones: pd.Series) -> pd.Series:
    """The store's local calendar date of naive UTC timestamps (zone null = UTC)."""
    dates = utc.dt.normalize()
    for zone in zones.dropna().unique():
        mask = zones == zone
        local = utc[mask].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        dates[mask] = local.dt.normalize()
    return dates


def _orders(raw: Path, stores: pd.DataFrame, fx: pd.DataFrame, reporting: str) -> pd.DataFrame:
    orders = _read(raw / "orders.parquet")
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], errors="coerce")
    orders["status"] = orders["status"].str.lower()
    for column in ("subtotal_amount", "discount_amount", "shipping_amount", "tax_amount"):
        orders[column] = _money(orders, column)
    for column in ("discount_amount", "shipping_amount", "tax_amount"):
        orders[column] = orders[column].fillna(0.0)
    store_currency = orders["store_id"].map(stores.set_index("store_id")["store_currency"])
    orders["currency"] = orders["currency"].str.upper().fillna(store_currency).fillna(reporting)
    orders["month"] = orders["ordered_at"].dt.to_period("M").dt.to_timestamp()
    orders = orders.merge(fx, on=["currency", "month"], how="inner")
    valid = (
        orders["store_id"].notna()
        & orders["order_id"].notna()
        & (orders["ordered_at"] >= LOW)
        & (orders["ordered_at"] < HIGH)
        & orders["status"].isin(STATUSES)
        & (orders["subtotal_amount"] >= 0)
        & (orders["discount_amount"] >= 0)
        & (orders["shipping_amount"] >= 0)
        & (orders["tax_amount"] >= 0)
        & (orders["discount_amount"] <= orders["subtotal_amount"])
        & (orders["subtotal_amount"] * orders["rate"] <= 1_000_000)
    )
    orders = orders.loc[valid].drop_duplicates(["store_id", "order_id"], keep="first")
    orders["timezone"] = orders["store_id"].map(stores.set_index("store_id")["timezone"])
    orders["order_date"] = _local_dates(orders["ordered_at"], orders["timezone"])
    return orders.drop(columns=["month"])


def _refunds(raw: Path, orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    refunds = _read(raw / "refunds.parquet")
    refunds["refunded_at"] = pd.to_datetime(refunds["refunded_at"], errors="coerce")
    refunds["amount"] = _money(refunds, "amount")
    keyed = orders[
        ["store_id", "order_id", "ordered_at", "subtotal_amount", "discount_amount", "timezone"]
    ]
    refunds = refunds.merge(keyed, on=["store_id", "order_id"], how="inner")
    refunds = refunds.loc[
        refunds["refund_id"].notna()
        & (refunds["refunded_at"] >= LOW)
        & (refunds["refunded_at"] < HIGH)
        & (refunds["amount"] > 0)
        & (refunds["refunded_at"] >= refunds["ordered_at"])
    ].drop_duplicates(["store_id", "refund_id"], keep="first")
    refunds = refunds.sort_values(["store_id", "order_id", "refunded_at", "refund_id"])
    so_far = refunds.groupby(["store_id", "order_id"])["amount"].cumsum()
    order_value = refunds["subtotal_amount"] - refunds["discount_amount"]
    refund_date = _local_dates(refunds["refunded_at"], refunds["timezone"])
    kept = (so_far <= order_value + 1e-9) & (refund_date <= as_of)
    return (
        refunds.loc[kept]
        .groupby(["store_id", "order_id"], as_index=False)["amount"]
        .sum()
        .rename(columns={"amount": "refunded"})
    )


def fct_orders(raw: Path, reporting: str = "USD") -> tuple[pd.DataFrame, pd.Timestamp]:
    stores = _stores(raw)
    orders = _orders(raw, stores, _fx(reporting), reporting)
    as_of = orders["order_date"].max()
    orders = orders.loc[orders["order_date"] <= as_of]
    orders = orders.merge(_refunds(raw, orders, as_of), on=["store_id", "order_id"], how="left")
    segment = orders["store_id"].map(stores.set_index("store_id")["industry_segment"])
    orders["industry_segment"] = segment.fillna("unclassified")
    orders["refunded"] = orders["refunded"].fillna(0.0)
    orders["is_purchase"] = orders["status"].isin(PURCHASE_STATUSES)

    # each amount converted and rounded to cents on its own, the refund capped
    # at the order's value (DECISIONLOG: Money); exact cents for the difference
    def converted(column: str) -> pd.Series:
        return _cents(_round_cents(_cents(orders[column]) / 100.0 * orders["rate"]))

    value_cents = converted("subtotal_amount") - converted("discount_amount")
    net_cents = value_cents - np.minimum(converted("refunded"), value_cents)
    orders["net_revenue"] = (net_cents / 100.0).where(orders["is_purchase"], 0.0)
    orders["discount_amount"] = _round_cents(
        _cents(orders["discount_amount"]) / 100.0 * orders["rate"]
    )
    orders["has_discount"] = (orders["discount_amount"] > 0) | orders["discount_code"].notna()

    customer = orders["is_purchase"] & orders["customer_id"].notna()
    orders = orders.sort_values(["store_id", "customer_id", "ordered_at", "order_id"])
    purchases = orders.loc[customer[orders.index]]
    keys = ["store_id", "customer_id"]
    by_customer = purchases.groupby(keys, sort=False)
    number = by_customer.cumcount() + 1
    previous = by_customer["order_date"].shift()
    first = by_customer["order_date"].transform("min")
    orders["customer_order_number"] = number.reindex(orders.index).astype("Int32")
    orders["is_first_order"] = (number == 1).reindex(orders.index).astype("boolean")
    orders["days_since_previous_order"] = (
        (purchases["order_date"] - previous).dt.days.reindex(orders.index).astype("Int32")
    )
    # the first purchase date on every order of the customer (cancelled ones too)
    orders["first"] = first.reindex(orders.index)
    orders["first"] = orders.groupby(keys, sort=False)["first"].transform("min")
    orders["cohort_month"] = orders["first"].dt.to_period("M").dt.to_timestamp()
    months = (orders["order_date"].dt.year - orders["first"].dt.year) * 12 + (
        orders["order_date"].dt.month - orders["first"].dt.month
    )
    orders["months_since_first_order"] = months.where(
        orders["customer_order_number"].notna()
    ).astype("Int32")
    columns = [
        "store_id", "order_id", "customer_id", "industry_segment", "ordered_at", "order_date",
        "status", "is_purchase", "net_revenue", "discount_amount", "has_discount", "channel",
        "device", "is_first_order", "customer_order_number", "days_since_previous_order",
        "cohort_month", "months_since_first_order",
    ]  # fmt: skip
    return orders[columns], as_of


def _email_hash(emails: pd.Series, salt: str) -> pd.Series:
    cleaned = emails.str.strip().str.lower()
    return cleaned.map(
        lambda e: hashlib.sha256((salt + e).encode()).hexdigest() if isinstance(e, str) else None
    )


def dim_customers(
    raw: Path, orders: pd.DataFrame, as_of: pd.Timestamp, salt: str | None = None
) -> pd.DataFrame:
    """The e-mail salt defaults to the build's (retention.pii: PII_HASH_SALT)."""
    if salt is None:
        salt = pii_hash_salt(raw)
    purchases = orders.loc[orders["customer_order_number"].notna()]
    customers = purchases.groupby(["store_id", "customer_id"], as_index=False, sort=False).agg(
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        orders_count=("order_id", "size"),
        purchase_days=("order_date", "nunique"),
        net_revenue=("net_revenue", "sum"),
        discounted_orders_count=("has_discount", "sum"),
    )
    segments = purchases.drop_duplicates("store_id")[["store_id", "industry_segment"]]
    customers = customers.merge(segments, on="store_id", how="left")
    customers["cohort_month"] = customers["first_order_date"].dt.to_period("M").dt.to_timestamp()
    # like the warehouse: the exact net revenue (a sum of cents, here a float sum
    # that can be off by 1e-13 and turn 45.225 into 45.22) divided as a double
    exact = _cents(customers["net_revenue"]) / 100.0
    customers["average_order_value"] = _round_cents(exact / customers["orders_count"])
    profiles = pd.read_parquet(raw / "customers.parquet")
    profiles = profiles.dropna(subset=["store_id", "customer_id"]).drop_duplicates(
        ["store_id", "customer_id"]
    )
    profiles["email_hash"] = _email_hash(profiles["email"], salt)
    profiles["is_loyalty_member"] = profiles["loyalty_member_since"].dt.normalize() <= as_of
    profiles = profiles.rename(columns={"created_at": "registered_at"}).drop(columns=["email"])
    return customers.merge(profiles, on=["store_id", "customer_id"], how="left")


def _period_index(dates: pd.Series | pd.DatetimeIndex, months: int) -> np.ndarray:
    return np.asarray((dates.year * 12 + dates.month - 1) // months, dtype=np.int64)


def _period_start(index: int, months: int) -> pd.Timestamp:
    first_month = index * months
    return pd.Timestamp(year=first_month // 12, month=first_month % 12 + 1, day=1)


def fct_retention_periods(
    orders: pd.DataFrame, as_of: pd.Timestamp, window: int = 365
) -> pd.DataFrame:
    """Brute force on the definition: one pass over the purchase days per measurement day."""
    purchases = orders.loc[
        orders["customer_order_number"].notna(),
        ["store_id", "customer_id", "industry_segment", "order_date"],
    ]
    days = purchases.drop_duplicates(["store_id", "customer_id", "order_date"])
    days = days.sort_values(["store_id", "customer_id", "order_date"])
    key = days.groupby(["store_id", "customer_id"], sort=False).ngroup().to_numpy()
    store_codes, store_names = pd.factorize(days["store_id"])
    store_of_key = np.zeros(key.max() + 1, dtype=np.int64)
    store_of_key[key] = store_codes
    day = days["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first_day = np.full(key.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first_day, key, day)
    n_stores = len(store_names)
    segment = days.groupby("store_id")["industry_segment"].min()
    store_first = days.groupby("store_id")["order_date"].min()
    as_of_day = np.datetime64(as_of, "D").astype(np.int64)

    def active_at(measure_day: int) -> np.ndarray:
        mask = (day > measure_day - window) & (day <= measure_day)
        return np.unique(key[mask])

    def per_store(keys: np.ndarray) -> np.ndarray:
        return np.bincount(store_of_key[keys], minlength=n_stores)

    rows = []
    first_dates = pd.to_datetime(first_day.astype("datetime64[D]"))
    for grain, months in GRAINS:
        first_period = _period_index(first_dates, months)
        last = int(_period_index(pd.DatetimeIndex([as_of]), months)[0])
        start = int(_period_index(pd.DatetimeIndex([store_first.min()]), months)[0])
        previous = np.array([], dtype=np.int64)
        for index in range(start, last + 1):
            period_start = _period_start(index, months)
            period_end = period_start + pd.DateOffset(months=months) - pd.Timedelta(days=1)
            measured = min(np.datetime64(period_end, "D").astype(np.int64), as_of_day)
            active = active_at(measured)
            acquired = np.flatnonzero(first_period == index)
            new = np.intersect1d(acquired, active, assume_unique=True)
            retained = np.intersect1d(previous, active, assume_unique=True)
            counts = {
                "customers_start": per_store(previous),
                "customers_end": per_store(active),
                "new_customers": per_store(new),
                "retained_customers": per_store(retained),
                "acquired_customers": per_store(acquired),
            }
            for code, store in enumerate(store_names):
                if _period_index(pd.DatetimeIndex([store_first[store]]), months)[0] > index:
                    continue
                rows.append(
                    {
                        "store_id": store,
                        "industry_segment": segment[store],
                        "period_grain": grain,
                        "period_start": period_start,
                        "period_end": period_end,
                        **{name: int(values[code]) for name, values in counts.items()},
                    }
                )
            previous = active
    table = pd.DataFrame(rows)
    table["churned_customers"] = table["customers_start"] - table["retained_customers"]
    table["reactivated_customers"] = (
        table["customers_end"] - table["retained_customers"] - table["new_customers"]
    )
    start_count = table["customers_start"].where(table["customers_start"] > 0)
    table["crr"] = (table["customers_end"] - table["new_customers"]) / start_count
    table["churn_rate"] = table["churned_customers"] / start_count
    return table


def fct_cohort_retention(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    purchases = orders.loc[orders["customer_order_number"].notna()]
    keys = ["store_id", "cohort_month"]
    cohorts = purchases.groupby(keys, as_index=False).agg(
        industry_segment=("industry_segment", "min"), cohort_size=("customer_id", "nunique")
    )
    activity = purchases.groupby([*keys, "months_since_first_order"], as_index=False).agg(
        active_customers=("customer_id", "nunique"), net_revenue=("net_revenue", "sum")
    )
    as_of_month = as_of.year * 12 + as_of.month - 1
    span = as_of_month - (
        cohorts["cohort_month"].dt.year * 12 + cohorts["cohort_month"].dt.month - 1
    )
    triangle = cohorts.loc[cohorts.index.repeat(span + 1)].copy()
    triangle["months_since_first_order"] = triangle.groupby(keys).cumcount().astype("Int32")
    activity["months_since_first_order"] = activity["months_since_first_order"].astype("Int32")
    table = triangle.merge(activity, on=[*keys, "months_since_first_order"], how="left")
    table[["active_customers", "net_revenue"]] = table[["active_customers", "net_revenue"]].fillna(
        0
    )
    table = table.sort_values([*keys, "months_since_first_order"])
    table["retention_rate"] = table["active_customers"] / table["cohort_size"]
    table["cumulative_net_revenue"] = table.groupby(keys)["net_revenue"].cumsum()
    table["cumulative_net_revenue_per_customer"] = (
        table["cumulative_net_revenue"] / table["cohort_size"]
    )
    return table


def run(raw: Path, out: Path, window: int = 365) -> dict[str, float]:
    """Compute the marts into ``out`` (replaced); returns seconds per step."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seconds: dict[str, float] = {}

    def step(name: str, work: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        start = time.perf_counter()
        table = work()
        table.to_parquet(out / f"{name}.parquet", index=False)
        seconds[name] = time.perf_counter() - start
        return table

    start = time.perf_counter()
    orders, as_of = fct_orders(raw)
    orders.to_parquet(out / "fct_orders.parquet", index=False)
    seconds["fct_orders"] = time.perf_counter() - start
    step("dim_customers", lambda: dim_customers(raw, orders, as_of))
    step("fct_retention_periods", lambda: fct_retention_periods(orders, as_of, window))
    step("fct_cohort_retention", lambda: fct_cohort_retention(orders, as_of))
    seconds["total"] = sum(seconds.values())
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--window", type=int, default=365)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.raw, args.out, args.window)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
