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

#: one `mf` process answers the module: it runs each command in turn with one
#: CLI configuration (one MetricFlow engine), as MetricFlow's own tests do
MF_BATCH = """
import json, sys
from dbt_metricflow.cli.cli_configuration import CLIConfiguration
from dbt_metricflow.cli.main import cli
config = CLIConfiguration()
for name, arguments in json.load(sys.stdin).items():
    print(f"=== {name}", flush=True)
    cli.main(arguments, obj=config, standalone_mode=False)
    print(flush=True)
"""

#: name -> (metrics, group by, where)
QUERIES: dict[str, tuple[list[str], list[str], str | None]] = {
    "net_revenue_by_cohort_month": (["net_revenue"], ["order__cohort_month"], None),
    "repeat_purchase_rate_by_segment": (
        ["repeat_purchase_rate", "customers", "historical_clv"],
        ["customer__customer_industry_segment"],
        None,
    ),
    "aov_by_device": (["average_order_value", "purchases"], ["order__device"], None),
    "crr_by_industry_by_year": (
        ["crr", "churn_rate"],
        ["retention_period__period_industry_segment", "retention_period__period_start__year"],
        "{{ Dimension('retention_period__period_grain') }} = 'year'",
    ),
    "loyalty_crr_by_membership_by_year": (
        ["loyalty_crr"],
        ["loyalty_period__is_loyalty_member", "loyalty_period__loyalty_period_start__year"],
        "{{ Dimension('loyalty_period__loyalty_period_grain') }} = 'year'",
    ),
}


class MetricFlow:
    """`mf validate-configs` and every query of QUERIES against one built
    warehouse, in one `mf` process.

    mf reads `target/semantic_manifest.json` under the directory it runs in,
    so the warehouse gets a small project root with its own manifest (and its
    own copy of the warehouse file: mf opens it for writing).
    """

    def __init__(self, root: Path, warehouse: Path) -> None:
        self.root = root
        manifest = json.loads((root / "target" / "semantic_manifest.json").read_text())
        self.metrics = {metric["name"] for metric in manifest["metrics"]}
        # a metric gone from the manifest is named here, before mf's own error
        queried = {metric for metrics, _, _ in QUERIES.values() for metric in metrics}
        assert queried <= self.metrics, (
            f"metrics {sorted(queried - self.metrics)} missing from the semantic manifest "
            "(models/marts/*/_*__semantic.yml)"
        )
        commands = {"validate-configs": ["validate-configs"]}
        for name, (metrics, group_by, where) in QUERIES.items():
            commands[name] = ["query", "--metrics", ",".join(metrics)]
            commands[name] += ["--group-by", ",".join(group_by), "--csv", str(root / f"{name}.csv")]
            commands[name] += ["--where", where] if where else []
        done = subprocess.run(
            [sys.executable, "-c", MF_BATCH],
            input=json.dumps(commands),
            cwd=root,
            env=dbt_env(warehouse_path=warehouse),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        sections = done.stdout.split("=== ")[1:]
        self.output = {part.split("\n", 1)[0]: part for part in sections}
        assert self.output.keys() == commands.keys(), done.stdout[-3000:]

    def query(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.root / f"{name}.csv")


@pytest.fixture(scope="module")
def mf(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> MetricFlow:
    root = tmp_path_factory.mktemp("mf")
    shutil.copyfile(PROJECT_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    (root / "target").mkdir()
    shutil.copyfile(
        sample_warehouse.target_path / "semantic_manifest.json",
        root / "target" / "semantic_manifest.json",
    )
    # the manifest names the database (catalog) by the file's name: keep it
    (root / "warehouse").mkdir()
    warehouse = root / "warehouse" / sample_warehouse.path.name
    shutil.copyfile(sample_warehouse.path, warehouse)
    return MetricFlow(root, warehouse)


def test_semantic_layer_validates(mf: MetricFlow) -> None:
    output = mf.output["validate-configs"]
    assert "ERRORS: 0" in output and "ERRORS: 1" not in output, output[-3000:]


def test_net_revenue_by_cohort_month(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    result = mf.query("net_revenue_by_cohort_month").dropna()
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
    result = mf.query("repeat_purchase_rate_by_segment")
    customers = sample_warehouse.df(
        "select industry_segment, orders_count, net_revenue from marts.dim_customers"
    )
    for name, group in customers.groupby("industry_segment"):
        row = result[result[segment] == name].iloc[0]
        assert row["customers"] == len(group)
        assert row["repeat_purchase_rate"] == pytest.approx((group["orders_count"] >= 2).mean())
        assert row["historical_clv"] == pytest.approx(float(group["net_revenue"].mean()))


def test_aov_by_device(mf: MetricFlow, sample_warehouse: Warehouse) -> None:
    result = mf.query("aov_by_device")
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
    result = mf.query("crr_by_industry_by_year").dropna()
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
    result = mf.query("loyalty_crr_by_membership_by_year").dropna()
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
