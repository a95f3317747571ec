"""Customer segments (RFM scores, named segments, behavioural flags, reports).

Every number is checked against an independent computation in pandas and
plain Python, on generated data whose amounts are rounded so that customers
tie a lot (same revenue, same AOV, same number of purchases, same last day),
plus a hand-made store with three customers (the small-store bins).
The rules being re-implemented here are written in DECISIONLOG.md
("Customer segments") and macros/segments/store_rank_rules.sql.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from retention.dbt import PROJECT_ROOT, dbt_env
from retention.tests.conftest import Warehouse
from retention.tests.dbt_runs import run_dbt

VIP_TOP_SHARE = "0.07"
CHURN_RISK_DAYS = 90
CART_WINDOW_DAYS = 30
FLAGS = [
    "days_since_last_order",
    "is_first_time_buyer",
    "is_repeat_buyer",
    "is_vip",
    "is_discount_shopper",
    "is_full_price_buyer",
    "is_cart_abandoner",
    "is_high_aov",
    "is_big_spender",
    "is_churn_risk",
]
SCORES = ["rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score", "rfm_segment"]

# a store of three customers (no stores row: industry `unclassified`):
# the small-store bins, ties on the last day and on revenue
SMALL_STORE_ORDERS = [
    # order_id, customer_id, ordered_at, subtotal, discount
    ("X1", "A", "2024-06-01 10:00:00", "40.00", "0.00"),
    ("X2", "B", "2024-06-01 11:00:00", "20.00", "0.00"),
    ("X3", "B", "2024-06-10 11:00:00", "20.00", "10.00"),
    ("X4", "C", "2024-06-10 12:00:00", "30.00", "0.00"),
]


def _make_ties(raw: Path) -> None:
    """Round amounts to a few values, one currency, no refunds: many ties."""
    orders = pd.read_csv(raw / "orders.csv", dtype=str, keep_default_na=False)
    subtotal = orders["subtotal_amount"].astype(float)
    orders["subtotal_amount"] = ((subtotal / 40).round().clip(lower=1) * 40).map("{:.2f}".format)
    has_discount = orders["discount_amount"].astype(float) > 0
    orders["discount_amount"] = has_discount.map({True: "10.00", False: "0.00"})
    orders["currency"] = "USD"
    small = pd.DataFrame(
        [
            {
                "order_id": order_id,
                "store_id": "SMALL",
                "customer_id": customer,
                "ordered_at": ordered_at,
                "status": "completed",
                "currency": "USD",
                "subtotal_amount": subtotal_amount,
                "discount_amount": discount,
                "shipping_amount": "0.00",
                "tax_amount": "0.00",
                "channel": "web",
                "device": "desktop",
                "discount_code": "",
            }
            for order_id, customer, ordered_at, subtotal_amount, discount in SMALL_STORE_ORDERS
        ]
    )
    pd.concat([orders, small]).to_csv(raw / "orders.csv", index=False)
    (raw / "refunds.csv").unlink()


@pytest.fixture(scope="module")
def tied_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    directory = tmp_path_factory.mktemp("segments")
    raw = directory / "raw"
    subprocess.run(
        [
            sys.executable, "-m", "retention.generate", "--orders", "4000", "--stores", "4",
            "--seed", "11", "--format", "csv", "--out", str(raw),
            "--start", "2023-01-01", "--end", "2024-06-30", "--quiet",
        ],
        check=True,
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    _make_ties(raw)
    path = directory / "segments.duckdb"
    env = dbt_env(raw_data_dir=raw, warehouse_path=path, target_path=directory / "target")
    result = run_dbt(
        # cautious: skip the tests of models this selection does not build
        [
            "build",
            "-s",
            "+rpt_customer_segments",
            "+rpt_aov_by_device_channel",
            "--indirect-selection",
            "cautious",
        ],
        vars={"vip_top_share": VIP_TOP_SHARE, "churn_risk_days": CHURN_RISK_DAYS},
        env=env,
    )
    if not result.ok:
        pytest.fail(f"dbt build failed:\n{result.output[-6000:]}")
    return Warehouse(path, result, directory / "target"), raw


# ---------------------------------------------------------------- reference


def _worse_counts(values: list, higher_is_better: bool) -> list[int]:
    """For each value: how many values of the list are strictly worse."""
    if higher_is_better:
        return [sum(1 for other in values if other < value) for value in values]
    return [sum(1 for other in values if other > value) for value in values]


def _quintile_scores(values: list, higher_is_better: bool = True) -> list[int]:
    n = len(values)
    return [
        min(5, 1 + (5 * worse) // max(n - 1, 1))
        for worse in _worse_counts(values, higher_is_better)
    ]


def _in_top_share(values: list, share: Fraction) -> list[bool]:
    places = math.ceil(share * len(values))
    return [sum(1 for other in values if other > value) + 1 <= places for value in values]


def _segment(seed: pd.DataFrame, r: int, f: int, m: int) -> str:
    fm = Fraction(f + m, 2)
    matches = [
        row.rfm_segment
        for row in seed.itertuples()
        if row.r_min <= r <= row.r_max
        and Fraction(str(row.fm_min)) <= fm <= Fraction(str(row.fm_max))
    ]
    assert len(matches) == 1, (r, f, m, matches)
    return matches[0]


def _per_store(frame: pd.DataFrame, column: str, function, *args) -> pd.Series:
    result = pd.Series(index=frame.index, dtype=object)
    for _, group in frame.groupby("store_id"):
        result.loc[group.index] = function(list(group[column]), *args)
    return result


def expected_customers(warehouse: Warehouse, raw: Path) -> pd.DataFrame:
    """dim_customers' segment columns recomputed from fct_orders and raw carts."""
    rows = warehouse.query(
        """
        select store_id, customer_id, ordered_at, order_date, net_revenue, has_discount
        from marts.fct_orders
        where is_purchase and customer_id is not null
        """
    )
    purchases = pd.DataFrame(
        rows, columns=["store_id", "customer_id", "ordered_at", "order_date", "net", "disc"]
    )
    as_of: date = warehouse.query("select max(order_date) from marts.fct_orders")[0][0]
    customers = (
        purchases.groupby(["store_id", "customer_id"])
        .agg(
            orders=("net", "size"),
            net=("net", lambda s: sum(s, Decimal(0))),
            discounted=("disc", "sum"),
            last_at=("ordered_at", "max"),
            last_date=("order_date", "max"),
        )
        .reset_index()
    )
    customers["days_since_last_order"] = [(as_of - d).days for d in customers["last_date"]]
    customers["aov"] = [
        (net / orders).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for net, orders in zip(customers["net"], customers["orders"], strict=True)
    ]
    customers["is_first_time_buyer"] = customers["orders"] == 1
    customers["is_repeat_buyer"] = customers["orders"] >= 2
    customers["is_discount_shopper"] = customers["discounted"] > customers["orders"] / 2
    customers["is_full_price_buyer"] = customers["discounted"] == 0
    customers["is_churn_risk"] = customers["days_since_last_order"] >= CHURN_RISK_DAYS
    customers["is_vip"] = _per_store(customers, "net", _in_top_share, Fraction(VIP_TOP_SHARE))
    customers["is_big_spender"] = _per_store(customers, "net", _in_top_share, Fraction(1, 10))
    customers["is_high_aov"] = _per_store(customers, "aov", _in_top_share, Fraction(1, 5))

    carts = pd.read_csv(raw / "carts.csv", dtype=str, keep_default_na=False)
    stores = pd.read_csv(raw / "stores.csv", dtype=str, keep_default_na=False)
    zones = dict(zip(stores["store_id"], stores["timezone"], strict=True))
    created_utc = pd.to_datetime(carts["created_at"], utc=True)
    carts["created_at"] = created_utc.dt.tz_localize(None)
    # the cart window counts the store's local days, like every day-based metric
    carts["created_date"] = [
        at.tz_convert(zones.get(store) or "UTC").tz_localize(None).normalize()
        for at, store in zip(created_utc, carts["store_id"], strict=True)
    ]
    first_window_day = pd.Timestamp(as_of) - pd.Timedelta(days=CART_WINDOW_DAYS - 1)
    recent = carts[
        (carts["order_id"] == "")
        & (carts["customer_id"] != "")
        & (carts["created_date"] >= first_window_day)
        & (carts["created_date"] <= pd.Timestamp(as_of))
    ]
    latest_cart = recent.groupby(["store_id", "customer_id"])["created_at"].max()
    stores_with_carts = set(carts["store_id"])
    customers["is_cart_abandoner"] = [
        None
        if store not in stores_with_carts
        # an abandoned cart with no purchase after it: the latest one decides
        else (store, customer) in latest_cart.index and last_at <= latest_cart[store, customer]
        for store, customer, last_at in zip(
            customers["store_id"], customers["customer_id"], customers["last_at"], strict=True
        )
    ]

    customers["rfm_recency_score"] = _per_store(
        customers, "days_since_last_order", _quintile_scores, False
    )
    customers["rfm_frequency_score"] = _per_store(customers, "orders", _quintile_scores)
    customers["rfm_monetary_score"] = _per_store(customers, "net", _quintile_scores)
    seed = pd.read_csv(PROJECT_ROOT / "seeds" / "rfm_segments.csv")
    customers["rfm_segment"] = [
        _segment(seed, r, f, m)
        for r, f, m in zip(
            customers["rfm_recency_score"],
            customers["rfm_frequency_score"],
            customers["rfm_monetary_score"],
            strict=True,
        )
    ]
    return customers.set_index(["store_id", "customer_id"]).sort_index()


def _actual_customers(warehouse: Warehouse) -> pd.DataFrame:
    columns = ["store_id", "customer_id", *FLAGS, *SCORES]
    rows = warehouse.query(f"select {', '.join(columns)} from marts.dim_customers")
    frame = pd.DataFrame(rows, columns=columns).astype(object)
    return frame.set_index(["store_id", "customer_id"]).sort_index()


def _records(frame: pd.DataFrame, columns: Iterable[str]) -> dict:
    return {
        key: tuple(None if pd.isna(v) else v for v in values)
        for key, values in zip(frame.index, frame[list(columns)].to_numpy().tolist(), strict=True)
    }


# -------------------------------------------------------------------- tests


@pytest.mark.slow
def test_generated_data_has_many_ties(tied_warehouse: tuple[Warehouse, Path]) -> None:
    """Guard: the comparison below is only meaningful when values tie."""
    warehouse, _ = tied_warehouse
    distinct_revenue, customers = warehouse.query(
        "select count(distinct (store_id, net_revenue)), count(*) from marts.dim_customers"
    )[0]
    assert customers > 500
    assert distinct_revenue < customers / 2


@pytest.mark.slow
def test_rfm_scores_and_segments_match_pandas(tied_warehouse: tuple[Warehouse, Path]) -> None:
    warehouse, raw = tied_warehouse
    expected = expected_customers(warehouse, raw)
    actual = _actual_customers(warehouse)
    assert list(actual.index) == list(expected.index)
    assert _records(actual, SCORES) == _records(expected, SCORES)


@pytest.mark.slow
def test_flags_match_pandas(tied_warehouse: tuple[Warehouse, Path]) -> None:
    warehouse, raw = tied_warehouse
    expected = expected_customers(warehouse, raw)
    actual = _actual_customers(warehouse)
    for flag in FLAGS:
        assert _records(actual, [flag]) == _records(expected, [flag]), flag
    # the comparison exercised both answers of every flag
    for flag in FLAGS[1:]:
        assert set(actual[flag].dropna()) == {True, False}, flag


@pytest.mark.slow
def test_small_store_bins(tied_warehouse: tuple[Warehouse, Path]) -> None:
    """Three customers: percent_rank 0, 1/2, 1 -> scores 1, 3, 5; ties share."""
    warehouse, _ = tied_warehouse
    rows = warehouse.query(
        """
        select customer_id, rfm_recency_score, rfm_frequency_score, rfm_monetary_score,
               is_cart_abandoner, industry_segment
        from marts.dim_customers where store_id = 'SMALL' order by customer_id
        """
    )
    assert rows == [
        # A: last 06-01 (worse than nobody -> R 1), 1 order (F 1), 40.00 (best -> M 5)
        ("A", 1, 1, 5, None, "unclassified"),
        # B: last 06-10 tied with C: both beat A -> 1 + floor(5 * 1 / 2) = 3; 2 orders
        #    (beats both -> F 5); 20.00 + (20.00 - 10.00) = 30.00 tied with C, both
        #    beat nobody -> M 1
        ("B", 3, 5, 1, None, "unclassified"),
        ("C", 3, 1, 1, None, "unclassified"),
    ]


@pytest.mark.slow
def test_segment_report_matches_pandas(tied_warehouse: tuple[Warehouse, Path]) -> None:
    warehouse, raw = tied_warehouse
    expected = expected_customers(warehouse, raw).reset_index()
    segments = pd.read_csv(PROJECT_ROOT / "seeds" / "rfm_segments.csv")["rfm_segment"].unique()
    rows = warehouse.query(
        """
        select store_id, rfm_segment, customers, share_of_customers, net_revenue,
               share_of_revenue, average_historical_clv, average_predicted_clv
        from marts.rpt_customer_segments
        """
    )
    report = {(row[0], row[1]): row[2:] for row in rows}
    # predicted CLV comes from the CLV models: averaged here straight from dim_customers
    predicted_by_segment: dict[tuple[str, str], list[float]] = {}
    for store, segment, clv in warehouse.query(
        "select store_id, rfm_segment, predicted_clv from marts.dim_customers "
        "where predicted_clv is not null"
    ):
        predicted_by_segment.setdefault((store, segment), []).append(float(clv))
    stores = sorted(expected["store_id"].unique())
    assert set(report) == {(store, segment) for store in stores for segment in segments}
    for store in stores:
        in_store = expected[expected["store_id"] == store]
        store_revenue = sum(in_store["net"], Decimal(0))
        for segment in segments:
            members = in_store[in_store["rfm_segment"] == segment]
            revenue = sum(members["net"], Decimal(0))
            customers, share_c, net, share_r, average, predicted = report[(store, segment)]
            assert customers == len(members)
            assert share_c == pytest.approx(len(members) / len(in_store))
            assert net == revenue
            assert share_r == pytest.approx(float(revenue / store_revenue))
            if len(members):
                assert average == (revenue / len(members)).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
            else:
                assert average is None
            values = predicted_by_segment.get((store, segment))
            if values:
                assert float(predicted) == pytest.approx(sum(values) / len(values), abs=0.006)
            else:
                assert predicted is None
    shares = warehouse.query(
        """
        select store_id, sum(share_of_customers), sum(share_of_revenue), sum(net_revenue)
        from marts.rpt_customer_segments group by store_id
        """
    )
    dim_revenue = dict(
        warehouse.query("select store_id, sum(net_revenue) from marts.dim_customers group by 1")
    )
    for store, share_customers, share_revenue, revenue in shares:
        assert share_customers == pytest.approx(1.0)
        assert share_revenue == pytest.approx(1.0)
        assert revenue == dim_revenue[store]


@pytest.mark.slow
def test_aov_report_matches_pandas(tied_warehouse: tuple[Warehouse, Path]) -> None:
    warehouse, _ = tied_warehouse
    purchases = warehouse.df(
        """
        select store_id, order_month, device, channel, cast(net_revenue as double) as net
        from marts.fct_orders where is_purchase
        """
    ).fillna({"device": "unknown", "channel": "unknown"})
    report = warehouse.df(
        """
        select store_id, order_month, breakdown, breakdown_value, purchases,
               share_of_purchases, cast(net_revenue as double) as net,
               cast(average_order_value as double) as aov
        from marts.rpt_aov_by_device_channel
        """
    )
    for breakdown in ["device", "channel"]:
        expected = (
            purchases.groupby(["store_id", "order_month", breakdown])["net"]
            .agg(["size", "sum"])
            .reset_index()
            .rename(columns={breakdown: "breakdown_value"})
        )
        expected["share"] = expected["size"] / expected.groupby(["store_id", "order_month"])[
            "size"
        ].transform("sum")
        actual = report[report["breakdown"] == breakdown]
        merged = expected.merge(
            actual, on=["store_id", "order_month", "breakdown_value"], how="outer", indicator=True
        )
        assert (merged["_merge"] == "both").all()
        assert (merged["size"] == merged["purchases"]).all()
        assert merged["sum"].to_numpy() == pytest.approx(merged["net"].to_numpy(), abs=0.005)
        assert merged["share"].to_numpy() == pytest.approx(merged["share_of_purchases"].to_numpy())
        assert (merged["sum"] / merged["size"]).to_numpy() == pytest.approx(
            merged["aov"].to_numpy(), abs=0.0051
        )


def test_no_carts_file_gives_null_cart_abandoner(tiny_warehouse: Warehouse) -> None:
    """data/tiny has no carts file: unknown, not false; other flags are set."""
    rows = tiny_warehouse.query(
        """
        select count(*), count(is_cart_abandoner), count(is_vip), count(rfm_segment)
        from marts.dim_customers
        """
    )
    assert rows == [(3, 0, 3, 3)]


def test_sample_segment_report_reconciles(sample_warehouse: Warehouse) -> None:
    report = sample_warehouse.df(
        "select store_id, customers, net_revenue, share_of_customers, share_of_revenue"
        " from marts.rpt_customer_segments"
    )
    customers = sample_warehouse.df(
        "select store_id, count(*) as customers, sum(net_revenue) as net_revenue"
        " from marts.dim_customers group by store_id"
    ).set_index("store_id")
    totals = report.groupby("store_id").agg(
        customers=("customers", "sum"),
        net_revenue=("net_revenue", "sum"),
        share_of_customers=("share_of_customers", "sum"),
        share_of_revenue=("share_of_revenue", "sum"),
    )
    assert set(totals.index) == set(customers.index)
    customers = customers.loc[totals.index]
    assert (totals["customers"] == customers["customers"]).all()
    assert totals["net_revenue"].to_numpy() == pytest.approx(
        customers["net_revenue"].to_numpy(), abs=0.005
    )
    assert totals["share_of_customers"].to_numpy() == pytest.approx(1.0)
    assert totals["share_of_revenue"].to_numpy() == pytest.approx(1.0)
