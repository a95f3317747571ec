"""fct_retention_periods and fct_cohort_retention against a brute-force reference.

Generated data (several stores and segments, 2022-07 to 2024) is built with the
real dbt project for two active windows: the default 365 days and a short
45-day window, under which customers lapse and come back inside a quarter or
a year (several activity spans per customer, new customers who lapse within
their first period). as_of_date sits inside a month so that the partial
period and orders after as_of_date are exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from retention.dbt import dbt_env
from retention.generate import generate
from retention.tests.conftest import Warehouse
from retention.tests.dbt_runs import run_dbt
from retention.tests.reference_retention import (
    purchases_from_orders,
    reference_cohorts,
    reference_periods,
)

pytestmark = pytest.mark.slow  # two dbt builds of generated data

AS_OF = date(2024, 11, 20)
PERIOD_KEY = ["store_id", "period_grain", "period_start"]
COHORT_KEY = ["store_id", "cohort_month", "months_since_first_order"]
SELECTION = ("+fct_retention_periods+", "+fct_cohort_retention+", "+dim_customers")


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("retention_raw")
    generate(
        out,
        orders=20_000,
        stores=6,
        seed=11,
        fmt="parquet",
        start=date(2022, 7, 1),  # 2023 is then a complete year with customers at its start
        end=date(2024, 12, 31),
        progress=False,
    )
    return out


@pytest.fixture(scope="module", params=[365, 45], ids=lambda w: f"W{w}")
def retention_warehouse(
    request: pytest.FixtureRequest,
    generated_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Warehouse, int]]:
    window = int(request.param)
    directory = tmp_path_factory.mktemp(f"retention_w{window}")
    path = directory / "warehouse.duckdb"
    target = directory / "target"
    env = dbt_env(raw_data_dir=generated_dir, warehouse_path=path, target_path=target)
    result = run_dbt(
        ["build", "-s", *SELECTION, "--indirect-selection", "cautious"],
        vars={"as_of_date": AS_OF.isoformat(), "active_window_days": window},
        env=env,
    )
    if not result.ok:
        pytest.fail(f"dbt build failed:\n{result.output[-6000:]}")
    yield Warehouse(path, result, target), window


def _purchases(warehouse: Warehouse) -> pd.DataFrame:
    # every accepted order (all statuses, after as_of_date too): the
    # reference applies the purchase rule itself
    orders = warehouse.df(
        "select store_id, order_id, customer_id, status, order_date from staging.stg_shop__orders"
    )
    revenue = warehouse.df("select store_id, order_id, net_revenue from marts.fct_orders")
    orders = orders.merge(revenue, on=["store_id", "order_id"], how="left")
    return purchases_from_orders(orders, AS_OF)


def _assert_frames_equal(actual: pd.DataFrame, expected: pd.DataFrame, key: list[str]) -> None:
    actual = actual.sort_values(key).reset_index(drop=True)
    expected = expected.sort_values(key).reset_index(drop=True)
    assert len(actual) == len(expected)
    pd.testing.assert_frame_equal(
        actual[expected.columns], expected, check_dtype=False, check_exact=False, rtol=1e-9
    )


def test_retention_periods_match_brute_force(retention_warehouse: tuple[Warehouse, int]) -> None:
    warehouse, window = retention_warehouse
    expected = reference_periods(_purchases(warehouse), AS_OF, window)
    actual = warehouse.df("select * from marts.fct_retention_periods")
    for column in ("period_start", "period_end", "measured_on"):
        actual[column] = pd.to_datetime(actual[column]).dt.date
    assert set(actual["period_grain"]) == {"month", "quarter", "year"}
    assert actual["store_id"].nunique() == 6
    assert (actual["active_window_days"] == window).all()
    _assert_frames_equal(actual, expected, PERIOD_KEY)
    # the data exercises what the boundaries are about
    assert (expected["reactivated_customers"] > 0).any()
    assert (expected["customers_start"] == 0).any()
    if window == 45:
        assert (expected["acquired_customers"] > expected["new_customers"]).any()


def test_cohort_triangle_matches_brute_force(retention_warehouse: tuple[Warehouse, int]) -> None:
    warehouse, _ = retention_warehouse
    expected = reference_cohorts(_purchases(warehouse), AS_OF)
    actual = warehouse.df("select * from marts.fct_cohort_retention")
    actual["cohort_month"] = pd.to_datetime(actual["cohort_month"]).dt.date
    actual["net_revenue"] = actual["net_revenue"].astype(float)
    _assert_frames_equal(actual, expected, COHORT_KEY)
    assert (expected["active_customers"] == 0).any()


def test_industry_report_sums_store_rows(retention_warehouse: tuple[Warehouse, int]) -> None:
    warehouse, _ = retention_warehouse
    stores = warehouse.df("select * from marts.fct_retention_periods")
    counts = [
        "customers_start",
        "customers_end",
        "new_customers",
        "retained_customers",
        "churned_customers",
        "reactivated_customers",
        "purchasing_customers",
        "returning_customers",
    ]
    key = ["industry_segment", "period_grain", "period_start"]
    expected = stores.groupby(key, as_index=False)[counts].sum()
    starts = expected["customers_start"]
    expected["crr"] = (expected["customers_end"] - expected["new_customers"]) / starts.where(
        starts > 0
    )
    buyers = expected["purchasing_customers"]
    expected["returning_customer_rate"] = expected["returning_customers"] / buyers.where(buyers > 0)
    actual = warehouse.df("select * from marts.rpt_retention_by_industry")
    _assert_frames_equal(actual, expected, key)
    yearly = actual[(actual["period_grain"] == "year") & actual["is_complete"]]
    with_benchmark = yearly[yearly["benchmark_retention_rate"].notna()]
    # complete years with a CRR and a benchmark exist, and their gap is crr - benchmark
    compared = with_benchmark[with_benchmark["crr"].notna()]
    assert not compared.empty, "no complete year with both a CRR and a benchmark"
    gap = compared["crr"] - compared["benchmark_retention_rate"]
    assert (compared["crr_minus_benchmark"] - gap).abs().max() < 1e-12
    assert with_benchmark.loc[with_benchmark["crr"].isna(), "crr_minus_benchmark"].isna().all()
    assert actual.loc[actual["period_grain"] != "year", "crr_minus_benchmark"].isna().all()
