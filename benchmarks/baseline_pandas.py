"""Baseline B: the marts computed in pandas, the way an analyst would write them.

Same inputs, rules and outputs as baseline A (see baseline_duckdb.py): every
column of fct_orders, dim_customers without the CLV columns (profile, RFM
scores and segment, behavioural flags), fct_retention_periods and
fct_cohort_retention, vectorised pandas with the usual idioms (groupby,
merge, rank, cumsum). Period retention is computed by brute force on the
definition (docs/metrics.md): for every period's measurement day
m = least(period end, as_of), the active customers are those with a purchase
day in (m - W, m]; S, E, N, retained, churned and reactivated come from set
operations on those customer sets. It is therefore an independent check of
the warehouse's span ("islands") formulation.

Writes the four marts as Parquet files into OUT_DIR.
Run: ``python -m benchmarks.baseline_pandas RAW_DIR OUT_DIR``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.baseline_duckdb import (
    ACTIVE_WINDOW_DAYS,
    CART_WINDOW_DAYS,
    CHURN_RISK_DAYS,
    GRAINS,
    MAX_PLAUSIBLE_ORDER_AMOUNT,
    MIN_VALID_DATE,
    SEEDS,
    VIP_TOP_SHARE,
)
from retention.pii import pii_hash_salt

PURCHASE_STATUSES = ("completed", "refunded")
STATUSES = ("completed", "cancelled", "refunded", "pending")
LOW = pd.Timestamp(MIN_VALID_DATE)
#: the end of the day after today (UTC): later timestamps cannot be real
HIGH = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize() + pd.Timedelta(days=2)


def _round_cents(values: pd.Series) -> pd.Series:
    """Round to cents half away from zero, exactly as DuckDB's round(double, 2)."""
    scaled = values * 100.0
    whole = np.trunc(scaled)
    whole = whole + np.sign(scaled) * (np.abs(scaled - whole) >= 0.5)
    return whole / 100.0


def _cents(values: pd.Series) -> pd.Series:
    """Money with two decimals as integer cents, so that sums and differences are exact."""
    return np.round(values * 100.0).astype("int64")


def _clean(values: pd.Series) -> pd.Series:
    """Trimmed text (spaces, like SQL trim), blank = missing."""
    return values.str.strip(" ").replace("", None)


def _read(path: Path) -> pd.DataFrame:
    """Read a raw Parquet file: text trimmed of spaces with blanks as missing (the
    staging models' clean_text, done by Arrow's string kernels), decimals as float64
    (pandas would make Decimal objects). A folder table (``NAME/`` instead of
    ``NAME.parquet``) is read whole, its files in file name order."""
    if not path.exists() and path.with_suffix("").is_dir():
        path = path.with_suffix("")
    table = pq.read_table(path)
    columns = []
    for column, kind in zip(table.columns, table.schema.types, strict=True):
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            trimmed = pc.utf8_trim(column, characters=" ")
            column = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, kind), trimmed)
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


def _in_range(values: pd.Series) -> pd.Series:
    return (values >= LOW) & (values < HIGH)


def _deduplicate(frame: pd.DataFrame, keys: list[str], content: list[str]) -> pd.DataFrame:
    """Duplicate keys: identical copies keep the first, copies that differ are all dropped."""
    frame = frame.reset_index(drop=True)
    repeated = frame.duplicated(keys, keep=False)
    if not repeated.any():
        return frame
    copies = frame.loc[repeated]
    hashed = pd.util.hash_pandas_object(copies[content], index=False)
    same = hashed.groupby([copies[k] for k in keys]).transform("nunique") == 1
    first = ~copies.duplicated(keys, keep="first")
    keep = ~repeated
    keep[copies.index[same.to_numpy() & first.to_numpy()]] = True
    return frame.loc[keep].reset_index(drop=True)


def _fx(reporting: str) -> pd.DataFrame:
    rates = pd.read_csv(SEEDS / "fx_rates.csv", parse_dates=["month"])
    rates["currency"] = rates["currency"].str.upper()
    rates = rates.loc[rates["currency"] != "USD"]
    base = rates.loc[rates["currency"] == reporting, ["month", "rate_to_usd"]]
    if reporting == "USD":
        merged = rates.assign(rate=rates["rate_to_usd"])
    else:
        merged = rates.merge(base, on="month", how="left", suffixes=("", "_reporting"))
        merged["rate"] = merged["rate_to_usd"] / merged["rate_to_usd_reporting"]
    usd = base.assign(currency="USD", rate=1 / base["rate_to_usd"])
    return pd.concat([merged, usd])[["currency", "month", "rate"]]


def _stores(raw: Path) -> pd.DataFrame:
    stores = _read(raw / "stores.parquet")
    stores["industry_segment"] = stores["industry_segment"].str.lower()
    stores["currency"] = stores["currency"].str.upper()
    stores["country_code"] = stores["country_code"].str.upper()
    known = stores["timezone"].isna() | stores["timezone"].isin(zoneinfo.available_timezones())
    stores = stores.loc[stores["store_id"].notna() & known]
    content = ["store_name", "industry_segment", "currency", "country_code", "timezone"]
    stores = _deduplicate(stores, ["store_id"], content)
    # a store keeps its own segment code (the seed only decides benchmarks)
    stores["industry_segment"] = stores["industry_segment"].fillna("unclassified")
    stores = stores.rename(columns={"currency": "store_currency"})
    return stores[["store_id", "industry_segment", "store_currency", "timezone"]]


def _local_dates(utc: pd.Series, zones: pd.Series) -> pd.Series:
    """The store's local calendar date of naive UTC timestamps (zone null = UTC)."""
    dates = utc.dt.normalize().to_numpy().copy()
    for zone in zones.dropna().unique():
        mask = (zones == zone).to_numpy()
        local = utc[mask].dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        dates[mask] = local.dt.normalize().to_numpy()
    return pd.Series(dates, index=utc.index)


def _orders(raw: Path, stores: pd.DataFrame, fx: pd.DataFrame, reporting: str) -> pd.DataFrame:
    orders = _read(raw / "orders.parquet")
    for column in ("status", "channel", "device"):
        orders[column] = orders[column].str.lower()
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"], errors="coerce")
    amounts = ("subtotal_amount", "discount_amount", "shipping_amount", "tax_amount")
    unparseable = pd.Series(False, index=orders.index)
    for column in amounts:
        parsed = pd.to_numeric(orders[column], errors="coerce").astype("float64")
        if column != "subtotal_amount":
            unparseable |= orders[column].notna() & parsed.isna()
        orders[column] = parsed
    orders = orders.merge(stores, on="store_id", how="left")
    orders["currency"] = (
        orders["currency"].str.upper().fillna(orders["store_currency"]).fillna(reporting)
    )
    orders["month"] = orders["ordered_at"].dt.to_period("M").dt.to_timestamp()
    orders = orders.merge(fx, on=["currency", "month"], how="left")
    orders.loc[orders["currency"] == reporting, "rate"] = 1.0
    known = (orders["currency"] == reporting) | orders["currency"].isin(fx["currency"])
    discount = orders["discount_amount"].fillna(0.0)
    valid = (
        orders["store_id"].notna()
        & orders["order_id"].notna()
        & _in_range(orders["ordered_at"])
        & orders["status"].isin(STATUSES)
        & orders["subtotal_amount"].notna()
        & ~unparseable.to_numpy()
        & (orders["subtotal_amount"] >= 0)
        & (discount >= 0)
        & (orders["shipping_amount"].fillna(0.0) >= 0)
        & (orders["tax_amount"].fillna(0.0) >= 0)
        & (discount <= orders["subtotal_amount"])
        & known
        & orders["rate"].notna()
        & (orders["subtotal_amount"] * orders["rate"] <= MAX_PLAUSIBLE_ORDER_AMOUNT)
    )
    content = [
        "customer_id", "ordered_at", "status", "currency", "subtotal_amount", "discount_amount",
        "shipping_amount", "tax_amount", "channel", "device", "discount_code",
    ]  # fmt: skip
    orders = _deduplicate(orders.loc[valid], ["store_id", "order_id"], content)
    for column in ("discount_amount", "shipping_amount", "tax_amount"):
        orders[column] = orders[column].fillna(0.0)
    orders["order_date"] = _local_dates(orders["ordered_at"], orders["timezone"])
    return orders.drop(columns=["month"])


def _refunds(raw: Path, orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    refunds = _read(raw / "refunds.parquet")
    refunds["refunded_at"] = pd.to_datetime(refunds["refunded_at"], errors="coerce")
    refunds["amount"] = pd.to_numeric(refunds["amount"], errors="coerce").astype("float64")
    keyed = orders[
        ["store_id", "order_id", "ordered_at", "subtotal_amount", "discount_amount", "timezone"]
    ]
    refunds = refunds.merge(keyed, on=["store_id", "order_id"], how="inner")
    refunds = refunds.loc[
        refunds["refund_id"].notna()
        & _in_range(refunds["refunded_at"])
        & (refunds["amount"] > 0)
        & (refunds["refunded_at"] >= refunds["ordered_at"])
    ]
    refunds = _deduplicate(
        refunds, ["store_id", "refund_id"], ["order_id", "refunded_at", "amount"]
    )
    refunds = refunds.sort_values(["store_id", "order_id", "refunded_at", "refund_id"])
    so_far = _cents(refunds["amount"]).groupby([refunds["store_id"], refunds["order_id"]]).cumsum()
    order_value = _cents(refunds["subtotal_amount"]) - _cents(refunds["discount_amount"])
    refund_date = _local_dates(refunds["refunded_at"], refunds["timezone"])
    kept = (so_far <= order_value) & (refund_date <= as_of)
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
    orders["industry_segment"] = orders["industry_segment"].fillna("unclassified")
    orders["refunded"] = orders["refunded"].fillna(0.0)
    orders["is_purchase"] = orders["status"].isin(PURCHASE_STATUSES)
    orders["is_guest"] = orders["customer_id"].isna()
    orders["order_currency"] = orders["currency"]
    orders["order_month"] = orders["order_date"].dt.to_period("M").dt.to_timestamp()
    orders["has_discount"] = (orders["discount_amount"] > 0) | orders["discount_code"].notna()

    # each amount converted and rounded to cents on its own, the refund capped
    # at the order's value (DECISIONLOG: Money); exact cents for the difference
    def converted(column: str) -> pd.Series:
        return _cents(_round_cents(_cents(orders[column]) / 100.0 * orders["rate"]))

    subtotal, discount = converted("subtotal_amount"), converted("discount_amount")
    refund = converted("refunded")
    refund = refund.where(~orders["is_purchase"], np.minimum(refund, subtotal - discount))
    orders["net_revenue"] = ((subtotal - discount - refund) / 100.0).where(
        orders["is_purchase"], 0.0
    )
    orders["subtotal_amount"] = subtotal / 100.0
    orders["discount_amount"] = discount / 100.0
    orders["refund_amount"] = refund / 100.0
    orders["shipping_amount"] = converted("shipping_amount") / 100.0
    orders["tax_amount"] = converted("tax_amount") / 100.0

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
        "order_month", "status", "is_purchase", "is_guest", "order_currency", "subtotal_amount",
        "discount_amount", "refund_amount", "shipping_amount", "tax_amount", "net_revenue",
        "has_discount", "discount_code", "channel", "device", "is_first_order",
        "customer_order_number", "days_since_previous_order", "cohort_month",
        "months_since_first_order",
    ]  # fmt: skip
    return orders[columns], as_of


def _email_hash(emails: pd.Series, salt: str) -> pd.Series:
    cleaned = emails.str.lower()
    return cleaned.map(
        lambda e: hashlib.sha256((salt + e).encode()).hexdigest() if isinstance(e, str) else None
    )


def _profiles(raw: Path, customers: pd.DataFrame, salt: str) -> pd.DataFrame:
    """The accepted customers-file rows of the buying customers."""
    profiles = _read(raw / "customers.parquet")
    profiles = profiles.merge(
        customers[["store_id", "customer_id"]], on=["store_id", "customer_id"]
    )
    profiles["country_code"] = profiles["country_code"].str.upper()
    marketing = profiles["accepts_marketing"]
    if not pd.api.types.is_bool_dtype(marketing):
        text = _clean(marketing.astype("string")).str.lower()
        parsed = text.map({"true": True, "t": True, "1": True, "false": False, "f": False})
        parsed = parsed.where(text.isin(["true", "t", "1", "false", "f"]))
        bad_boolean = text.notna() & parsed.isna()
        profiles["accepts_marketing"] = parsed.astype("boolean")
    else:
        bad_boolean = pd.Series(False, index=profiles.index)
    accepted = ~bad_boolean
    for column in ("created_at", "loyalty_member_since"):
        stamps = pd.to_datetime(profiles[column], errors="coerce")
        accepted &= ~(profiles[column].notna() & stamps.isna())
        accepted &= stamps.isna() | _in_range(stamps)
        profiles[column] = stamps
    profiles = profiles.loc[accepted]
    profiles["email_hash"] = _email_hash(profiles["email"], salt)
    content = [
        "created_at", "email_hash", "country_code", "accepts_marketing", "loyalty_member_since",
    ]  # fmt: skip
    profiles = _deduplicate(profiles, ["store_id", "customer_id"], content)
    return profiles.rename(columns={"created_at": "registered_at"}).drop(columns=["email"])


def _cart_abandoners(
    raw: Path, orders: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[set[str], pd.DataFrame]:
    """Stores with any cart row, and the customers with an accepted abandoned cart in
    the last N local days and no purchase after it."""
    if not (raw / "carts.parquet").exists():
        return set(), pd.DataFrame(columns=["store_id", "customer_id"])
    carts = _read(raw / "carts.parquet")
    stores_with_carts = set(carts["store_id"].dropna().unique())
    carts["created_at"] = pd.to_datetime(carts["created_at"], errors="coerce")
    value = pd.to_numeric(carts["cart_value"], errors="coerce")
    known_order = pd.MultiIndex.from_frame(carts[["store_id", "order_id"]]).isin(
        pd.MultiIndex.from_frame(orders[["store_id", "order_id"]])
    )
    carts = carts.loc[
        carts["cart_id"].notna()
        & carts["store_id"].notna()
        & _in_range(carts["created_at"])
        & ~(carts["cart_value"].notna() & value.isna())
        & ~(value < 0)
        & (carts["order_id"].isna() | known_order)
    ]
    content = ["customer_id", "created_at", "cart_value", "order_id"]
    carts = _deduplicate(carts, ["store_id", "cart_id"], content)
    carts = carts.loc[carts["order_id"].isna() & carts["customer_id"].notna()]
    timezones = carts["store_id"].map(_stores(raw).set_index("store_id")["timezone"])
    carts["created_date"] = _local_dates(carts["created_at"], timezones)
    recent = carts.loc[
        (carts["created_date"] > as_of - pd.Timedelta(days=CART_WINDOW_DAYS))
        & (carts["created_date"] <= as_of)
    ]
    recent = recent.merge(
        customers[["store_id", "customer_id", "last_order_at"]], on=["store_id", "customer_id"]
    )
    abandoners = recent.loc[recent["last_order_at"] <= recent["created_at"]]
    return stores_with_carts, abandoners[["store_id", "customer_id"]].drop_duplicates()


def _rfm_segments() -> pd.DataFrame:
    """Every (R, F, M) score triple with the rfm_segments seed row(s) it falls in."""
    seed = pd.read_csv(SEEDS / "rfm_segments.csv")
    scores = range(1, 6)
    triples = pd.DataFrame(
        [(r, f, m) for r in scores for f in scores for m in scores],
        columns=["rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"],
    )
    pairs = triples.merge(seed, how="cross")
    fm = (pairs["rfm_frequency_score"] + pairs["rfm_monetary_score"]) / 2.0
    match = pairs["rfm_recency_score"].between(pairs["r_min"], pairs["r_max"]) & fm.between(
        pairs["fm_min"], pairs["fm_max"]
    )
    matched = pairs.loc[match, [*triples.columns, "rfm_segment"]]
    return triples.merge(matched, on=list(triples.columns), how="left")


def _score(values: pd.Series, stores: pd.Series, n: pd.Series, higher_is_better: bool):
    """RFM 1-5 within the store: least(5, 1 + 5 * worse // max(n - 1, 1))."""
    rank = values.groupby(stores).rank(method="min", ascending=higher_is_better)
    worse = rank.astype("int64") - 1
    return np.minimum(5, 1 + 5 * worse // np.maximum(n - 1, 1)).astype("int32")


def _in_top_share(values: pd.Series, stores: pd.Series, n: pd.Series, millionths: int):
    """rank (1 = highest, ties share the lowest rank) <= ceil(share * n), in integers."""
    rank = values.groupby(stores).rank(method="min", ascending=False).astype("int64")
    return rank <= -(-(millionths * n) // 1_000_000)


def dim_customers(
    raw: Path, orders: pd.DataFrame, as_of: pd.Timestamp, salt: str | None = None
) -> pd.DataFrame:
    """The e-mail salt defaults to the build's (retention.pii: PII_HASH_SALT)."""
    if salt is None:
        salt = pii_hash_salt(raw)
    purchases = orders.loc[orders["customer_order_number"].notna()]
    customers = purchases.groupby(["store_id", "customer_id"], as_index=False, sort=False).agg(
        industry_segment=("industry_segment", "first"),
        first_order_at=("ordered_at", "min"),
        first_order_date=("order_date", "min"),
        last_order_at=("ordered_at", "max"),
        last_order_date=("order_date", "max"),
        orders_count=("order_id", "size"),
        net_revenue=("net_revenue", "sum"),
        discounted_orders_count=("has_discount", "sum"),
    )
    customers["cohort_month"] = customers["first_order_date"].dt.to_period("M").dt.to_timestamp()
    # like the warehouse: the exact net revenue (a sum of cents, here a float sum
    # that can be off by 1e-13 and turn 45.225 into 45.22) divided as a double
    revenue_cents = _cents(customers["net_revenue"])
    customers["net_revenue"] = revenue_cents / 100.0
    customers["average_order_value"] = _round_cents(
        customers["net_revenue"] / customers["orders_count"]
    )
    customers["days_since_last_order"] = (as_of - customers["last_order_date"]).dt.days

    stores, n = customers["store_id"], customers.groupby("store_id")["store_id"].transform("size")
    customers["rfm_recency_score"] = _score(customers["days_since_last_order"], stores, n, False)
    customers["rfm_frequency_score"] = _score(customers["orders_count"], stores, n, True)
    customers["rfm_monetary_score"] = _score(revenue_cents, stores, n, True)
    scores = ["rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"]
    customers = customers.merge(_rfm_segments(), on=scores, how="left")
    stores, n = customers["store_id"], customers.groupby("store_id")["store_id"].transform("size")
    revenue_cents = _cents(customers["net_revenue"])
    customers["is_first_time_buyer"] = customers["orders_count"] == 1
    customers["is_repeat_buyer"] = customers["orders_count"] >= 2
    customers["is_vip"] = _in_top_share(revenue_cents, stores, n, round(VIP_TOP_SHARE * 1_000_000))
    customers["is_discount_shopper"] = (
        2 * customers["discounted_orders_count"] > customers["orders_count"]
    )
    customers["is_full_price_buyer"] = customers["discounted_orders_count"] == 0
    customers["is_high_aov"] = _in_top_share(
        _cents(customers["average_order_value"]), stores, n, 200_000
    )
    customers["is_big_spender"] = _in_top_share(revenue_cents, stores, n, 100_000)
    customers["is_churn_risk"] = customers["days_since_last_order"] >= CHURN_RISK_DAYS

    with_carts, abandoners = _cart_abandoners(raw, orders, customers, as_of)
    abandoner = pd.MultiIndex.from_frame(customers[["store_id", "customer_id"]]).isin(
        pd.MultiIndex.from_frame(abandoners)
    )
    customers["is_cart_abandoner"] = pd.Series(abandoner, dtype="boolean").where(
        customers["store_id"].isin(with_carts).to_numpy()
    )

    profiles = _profiles(raw, customers, salt)
    customers = customers.merge(profiles, on=["store_id", "customer_id"], how="left")
    # null when the customers file does not know the customer
    in_file = pd.MultiIndex.from_frame(customers[["store_id", "customer_id"]]).isin(
        pd.MultiIndex.from_frame(profiles[["store_id", "customer_id"]])
    )
    loyal = (customers["loyalty_member_since"].dt.normalize() <= as_of).fillna(False)
    customers["is_loyalty_member"] = pd.Series(loyal, dtype="boolean").where(in_file)
    return customers


def _period_index(dates: pd.Series | pd.DatetimeIndex, months: int) -> np.ndarray:
    return np.asarray((dates.year * 12 + dates.month - 1) // months, dtype=np.int64)


def _period_start(index: int, months: int) -> pd.Timestamp:
    first_month = index * months
    return pd.Timestamp(year=first_month // 12, month=first_month % 12 + 1, day=1)


def fct_retention_periods(
    orders: pd.DataFrame, as_of: pd.Timestamp, window: int = ACTIVE_WINDOW_DAYS
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
    day_dates = pd.DatetimeIndex(days["order_date"])

    def active_at(measure_day: int) -> np.ndarray:
        mask = (day > measure_day - window) & (day <= measure_day)
        return np.unique(key[mask])

    def per_store(keys: np.ndarray) -> np.ndarray:
        return np.bincount(store_of_key[keys], minlength=n_stores)

    rows = []
    first_dates = pd.to_datetime(first_day.astype("datetime64[D]"))
    for grain, months in GRAINS:
        first_period = _period_index(first_dates, months)
        # purchasing / returning: customers with a purchase in the period
        bought = pd.DataFrame({"key": key, "period": _period_index(day_dates, months)})
        bought = bought.drop_duplicates()
        bought["store"] = store_of_key[bought["key"]]
        bought["returning"] = bought["period"].to_numpy() > first_period[bought["key"]]
        counted = bought.groupby(["store", "period"]).agg(
            purchasing=("key", "size"), returning=("returning", "sum")
        )
        buyers = dict(zip(counted.index, counted.itertuples(index=False), strict=True))
        store_start = _period_index(pd.DatetimeIndex(store_first[store_names]), months)
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
                if store_start[code] > index:
                    continue
                purchasing, returning = buyers.get((code, index), (0, 0))
                rows.append(
                    {
                        "store_id": store,
                        "industry_segment": segment[store],
                        "period_grain": grain,
                        "period_start": period_start,
                        "period_end": period_end,
                        "measured_on": min(period_end, as_of),
                        "is_complete": period_end <= as_of,
                        "active_window_days": window,
                        **{name: int(values[code]) for name, values in counts.items()},
                        "purchasing_customers": int(purchasing),
                        "returning_customers": int(returning),
                    }
                )
            previous = active
    table = pd.DataFrame(rows)
    table["churned_customers"] = table["customers_start"] - table["retained_customers"]
    table["reactivated_customers"] = (
        table["customers_end"] - table["retained_customers"] - table["new_customers"]
    )
    table["new_customers_lapsed"] = table["acquired_customers"] - table["new_customers"]
    start_count = table["customers_start"].where(table["customers_start"] > 0)
    table["crr"] = (table["customers_end"] - table["new_customers"]) / start_count
    table["churn_rate"] = table["churned_customers"] / start_count
    table["returning_customer_rate"] = table["returning_customers"] / table[
        "purchasing_customers"
    ].where(table["purchasing_customers"] > 0)
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
    # the month offset of each customer's second purchase
    repeats = (
        purchases.loc[purchases["customer_order_number"] == 2]
        .groupby([*keys, "months_since_first_order"], as_index=False)
        .size()
        .rename(columns={"size": "first_repeats"})
    )
    as_of_month = as_of.year * 12 + as_of.month - 1
    span = as_of_month - (
        cohorts["cohort_month"].dt.year * 12 + cohorts["cohort_month"].dt.month - 1
    )
    triangle = cohorts.loc[cohorts.index.repeat(span + 1)].copy()
    triangle["months_since_first_order"] = triangle.groupby(keys).cumcount().astype("Int32")
    offsets = [*keys, "months_since_first_order"]
    for frame in (activity, repeats):
        frame["months_since_first_order"] = frame["months_since_first_order"].astype("Int32")
    table = triangle.merge(activity, on=offsets, how="left").merge(repeats, on=offsets, how="left")
    filled = ["active_customers", "net_revenue", "first_repeats"]
    table[filled] = table[filled].fillna(0)
    table["net_revenue"] = _cents(table["net_revenue"]) / 100.0
    table = table.sort_values(offsets)
    by_cohort = table.groupby(keys)
    month = table["cohort_month"].dt.year * 12 + table["cohort_month"].dt.month - 1
    month = month + table["months_since_first_order"].astype("int64")
    table["activity_month"] = pd.to_datetime(
        pd.DataFrame({"year": month // 12, "month": month % 12 + 1, "day": 1})
    )
    table["retention_rate"] = table["active_customers"] / table["cohort_size"]
    table["cumulative_net_revenue"] = _cents(by_cohort["net_revenue"].cumsum()) / 100.0
    table["cumulative_net_revenue_per_customer"] = (
        table["cumulative_net_revenue"] / table["cohort_size"]
    )
    table["repeat_customers"] = by_cohort["first_repeats"].cumsum().astype("int64")
    table["repeat_purchase_rate"] = table["repeat_customers"] / table["cohort_size"]
    acquisition = by_cohort["net_revenue"].transform("first")
    table["net_revenue_retention"] = table["net_revenue"] / acquisition.where(acquisition > 0)
    return table.drop(columns=["first_repeats"])


def run(raw: Path, out: Path, window: int = ACTIVE_WINDOW_DAYS) -> dict[str, float]:
    """Compute the marts into ``out`` (replaced); returns seconds per step."""
    if (raw / "fx_rates.parquet").exists() or (raw / "fx_rates.csv").exists():
        raise SystemExit(
            f"{raw} has a raw fx_rates file: baseline B reads the seed rates only "
            "(the warehouse would override them), so its results would differ"
        )
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
    parser.add_argument("--window", type=int, default=ACTIVE_WINDOW_DAYS)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.raw, args.out, args.window)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
