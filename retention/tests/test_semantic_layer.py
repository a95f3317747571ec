"""The MetricFlow semantic layer answers like the marts: `mf query` results are
compared with pandas sums over the same marts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from retention.dbt import PROJECT_ROOT, dbt_env
from retention.tests.conftest import Warehouse


class MetricFlow:
    """`mf query` against one built warehouse.

    mf reads `target/semantic_manifest.json` under the directory it runs in,
    so each warehouse gets a small project root with its own manifest.
    """

    def __init__(self, root: Path, warehouse: Path) -> None:
        self.root = root
        self.warehouse = warehouse
        manifest = json.loads((root / "target" / "semantic_manifest.json").read_text())
        self.metrics = {metric["name"] for metric in manifest["metrics"]}

    def query(
        self, metrics: list[str], group_by: list[str], where: str | None = None
    ) -> pd.DataFrame:
        out = self.root / "query.csv"
        command = [str(Path(sys.executable).with_name("mf")), "query"]
        command += ["--metrics", ",".join(metrics), "--group-by", ",".join(group_by)]
        command += ["--csv", str(out)]
        if where:
            command += ["--where", where]
        env = dbt_env(warehouse_path=self.warehouse)
        done = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0 and out.exists(), done.stdout[-3000:] + done.stderr[-3000:]
        return pd.read_csv(out)


@pytest.fixture(scope="module")
def mf(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> MetricFlow:
    root = tmp_path_factory.mktemp("mf")
    shutil.copyfile(PROJECT_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    (root / "target").mkdir()
    shutil.copyfile(
        sample_warehouse.target_path / "semantic_manifest.json",
        root / "target" / "semantic_manifest.json",
    )
    return MetricFlow(root, sample_warehouse.path)


def test_semantic_layer_validates(mf: MetricFlow) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mf")), "validate-configs"],
        cwd=mf.root,
        env=dbt_env(warehouse_path=mf.warehouse),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "ERRORS: 0" in done.stdout and "ERRORS: 1" not in done.stdout


def test_net_revenue_by_cohort_month(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    result = mf.query(["net_revenue"], ["order__cohort_month"]).dropna()
    result["month"] = pd.to_datetime(result["order__cohort_month__month"]).dt.date
    orders = sample_warehouse.df(
        "select cohort_month, net_revenue from marts.fct_orders where cohort_month is not null"
    )
    orders["month"] = pd.to_datetime(orders["cohort_month"]).dt.date
    expected = orders.groupby("month")["net_revenue"].sum().astype(float)
    got = result.set_index("month")["net_revenue"]
    assert len(got) == len(expected) == 36
    for month, value in expected.items():
        assert got[month] == pytest.approx(value, abs=0.01)


def test_repeat_purchase_rate_by_segment(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    segment = "customer__customer_industry_segment"
    result = mf.query(["repeat_purchase_rate", "customers", "historical_clv"], [segment])
    customers = sample_warehouse.df(
        "select industry_segment, orders_count, net_revenue from marts.dim_customers"
    )
    for name, group in customers.groupby("industry_segment"):
        row = result[result[segment] == name].iloc[0]
        assert row["customers"] == len(group)
        assert row["repeat_purchase_rate"] == pytest.approx((group["orders_count"] >= 2).mean())
        assert row["historical_clv"] == pytest.approx(float(group["net_revenue"].mean()))


def test_aov_by_device(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    result = mf.query(["average_order_value", "purchases"], ["order__device"])
    orders = sample_warehouse.df(
        "select coalesce(device, 'unknown') as device, net_revenue "
        "from marts.fct_orders where is_purchase"
    )
    for device, group in orders.groupby("device"):
        row = result[result["order__device"] == device].iloc[0]
        assert row["purchases"] == len(group)
        assert row["average_order_value"] == pytest.approx(float(group["net_revenue"].mean()))


def test_crr_by_industry_by_year(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    """The retention semantic model answers like rpt_retention_by_industry."""
    assert {"crr", "churn_rate"} <= mf.metrics, (
        "metrics crr / churn_rate missing from the semantic manifest "
        "(models/marts/retention/_retention__semantic.yml)"
    )
    segment = "retention_period__period_industry_segment"
    result = mf.query(
        ["crr", "churn_rate"],
        [segment, "retention_period__period_start__year"],
        where="{{ Dimension('retention_period__period_grain') }} = 'year'",
    ).dropna()
    expected = sample_warehouse.df(
        "select industry_segment, year(period_start) as year, crr, churn_rate "
        "from marts.rpt_retention_by_industry where period_grain = 'year' and crr is not null"
    )
    result["year"] = pd.to_datetime(result["retention_period__period_start__year"]).dt.year
    merged = expected.merge(
        result, left_on=["industry_segment", "year"], right_on=[segment, "year"]
    )
    assert len(merged) == len(expected) > 0
    assert merged["crr_x"].to_numpy() == pytest.approx(merged["crr_y"].to_numpy())
    assert merged["churn_rate_x"].to_numpy() == pytest.approx(merged["churn_rate_y"].to_numpy())


def test_loyalty_crr_by_membership_by_year(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    """loyalty_crr over all stores = (E - N) / S of rpt_loyalty_retention's summed counts."""
    member = "loyalty_period__is_loyalty_member"
    result = mf.query(
        ["loyalty_crr"],
        [member, "loyalty_period__loyalty_period_start__year"],
        where="{{ Dimension('loyalty_period__loyalty_period_grain') }} = 'year'",
    ).dropna()
    expected = sample_warehouse.df(
        "select is_loyalty_member, year(period_start) as year, "
        "(sum(customers_end) - sum(new_customers)) / sum(customers_start) as crr "
        "from marts.rpt_loyalty_retention where period_grain = 'year' "
        "group by 1, 2 having sum(customers_start) > 0"
    )
    result["year"] = pd.to_datetime(result["loyalty_period__loyalty_period_start__year"]).dt.year
    result["is_loyalty_member"] = result[member].astype(str).str.lower() == "true"
    merged = expected.merge(result, on=["is_loyalty_member", "year"])
    assert len(merged) == len(expected) > 0
    assert merged["crr"].to_numpy() == pytest.approx(merged["loyalty_crr"].to_numpy())
