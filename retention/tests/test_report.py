"""The HTML report: sections follow the marts, numbers match independent sums,
and the page renders in headless Chromium without script errors."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from retention.dbt import PROJECT_ROOT
from retention.report import browser
from retention.report.__main__ import build_report
from retention.report.page import SCRIPT
from retention.tests.conftest import Warehouse, build_once

# section id -> the mart (model) it reads
SECTION_MARTS = {
    "cohort-heatmap": "fct_cohort_retention",
    "industry-retention": "rpt_retention_by_industry",
    "cumulative-revenue": "fct_cohort_retention",
    "clv-distribution": "dim_customers.predicted_clv",
    "rfm-segments": "rpt_customer_segments",
    "survival-forecast": "fct_cohort_survival",
    "retention-scenarios": "rpt_retention_scenarios",
}
SCREENSHOT_ARTIFACT = PROJECT_ROOT / "artifacts" / "report_screenshot.png"


def section_status(html: str) -> dict[str, str]:
    return dict(re.findall(r"data-section='([a-z-]+)' data-status='(drawn|missing)'", html))


def defined_in_project(target_path: Path) -> set[str]:
    """Models and mart columns the dbt project defines (manifest of the build)."""
    manifest = json.loads((target_path / "manifest.json").read_text())
    names: set[str] = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            names.add(node["name"])
            names.update(f"{node['name']}.{column}" for column in node["columns"])
    return names


# The sample ends on its last order: built three months earlier, it has a holdout,
# so the next-purchase calibration mart (and its report section) is filled too.
HOLDOUT_AS_OF = "2024-09-30"


@pytest.fixture(scope="module")
def full_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built with a holdout: every mart the report reads has rows."""
    warehouse = build_once(
        tmp_path_factory,
        PROJECT_ROOT / "data" / "sample",
        "sample_holdout",
        command=("build", "--exclude", "resource_type:test", "resource_type:unit_test"),
        vars={"as_of_date": HOLDOUT_AS_OF},
    )
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        calibrated = con.execute("select count(*) from marts.rpt_next_purchase_calibration")
        assert calibrated.fetchone()[0] > 0, "no holdout: rpt_next_purchase_calibration is empty"
    return warehouse.path


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


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium, installed by `make setup-browser` (CI: .ci/run).

    Missing, the browser tests fail, unless SKIP_BROWSER_TESTS=1 says to skip them.
    """
    if os.environ.get("SKIP_BROWSER_TESTS") == "1":
        pytest.skip("SKIP_BROWSER_TESTS=1: the report is not rendered in Chromium")
    path = browser.find_chromium()
    if path is None:
        pytest.fail(
            "Chromium not found: run `make setup-browser` (apt-get install chromium, as root) "
            "or set SKIP_BROWSER_TESTS=1 to skip the browser tests of the report"
        )
    return path


def test_report_on_the_sample_build(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    """Real build: every section's mart is defined by the project and drawn."""
    out = tmp_path / "report.html"
    missing = build_report(sample_warehouse.path, out)
    html = out.read_text()
    status = section_status(html)
    defined = defined_in_project(sample_warehouse.target_path)
    assert set(SECTION_MARTS.values()) <= defined
    assert status["kpis"] == "drawn"
    for section in SECTION_MARTS:
        assert status[section] == "drawn", section
    # the calibration needs a holdout: the sample ends on as_of_date, so it says so
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        calibrated = con.execute(
            "select count(*) from marts.rpt_next_purchase_calibration"
        ).fetchone()[0]
    assert status["next-purchase-calibration"] == ("drawn" if calibrated else "missing")
    if not calibrated:
        assert "No holdout in this build" in html
    assert len(missing) == (0 if calibrated else 1)
    assert_offline(html)


def assert_offline(html: str) -> None:
    """No external resource: no src/href to http(s), no @import, no CDN."""
    assert not re.search(r"(src|href)\s*=\s*['\"]?https?:", html)
    assert "@import" not in html
    assert "cdn" not in html.lower()


def test_report_with_every_mart(full_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert build_report(full_warehouse, out) == []
    html = out.read_text()
    assert set(section_status(html).values()) == {"drawn"}
    assert "not built yet" not in html.lower()
    for label in ("months since first order", "retention rate", "share of customers"):
        assert label in html  # axes and legends are labelled
    assert re.search(r">\d+(\.\d)?%<", html)  # percentages formatted


def test_heatmap_matches_brute_force_cohorts(full_warehouse: Path, tmp_path: Path) -> None:
    """Heatmap cells and their rates equal a pandas recount from fct_orders."""
    with duckdb.connect(str(full_warehouse), read_only=True) as con:
        orders = con.execute("select * from marts.fct_orders").df()
    as_of_month = pd.Timestamp(orders["order_month"].max())
    cohorts = cohort_retention_brute_force(orders, as_of_month)
    overall = cohorts.groupby(["cohort_month", "months_since_first_order"])[
        ["active_customers", "cohort_size"]
    ].sum()
    out = tmp_path / "report.html"
    build_report(full_warehouse, out)
    cells = re.findall(
        r"<rect class='heatmap-cell'[^>]*><title>(\d{4}-\d{2}), months since first order "
        r"(\d+): ([\d.]+)%</title>",
        out.read_text(),
    )
    assert len(cells) == len(overall)
    for month, offset, shown in cells:
        row = overall.loc[(pd.Timestamp(month + "-01").date(), int(offset))]
        assert float(shown) == pytest.approx(
            100 * row["active_customers"] / row["cohort_size"], abs=0.051
        )


def test_kpis_match_independent_sums(full_warehouse: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(full_warehouse), read_only=True) as con:
        customers = con.execute("select orders_count from marts.dim_customers").df()
        periods = con.execute(
            "select * from marts.fct_retention_periods where period_grain = 'year'"
        ).df()
        orders = con.execute(
            "select device, net_revenue from marts.fct_orders where is_purchase"
        ).df()
    out = tmp_path / "report.html"
    build_report(full_warehouse, out)
    html = out.read_text()

    def kpi(name: str) -> str:
        match = re.search(
            rf"data-kpi='{re.escape(name)}'><th>[^<]*</th><td class='value'>([^<]*)<", html
        )
        assert match, name
        return match.group(1)

    repeat = (customers["orders_count"] >= 2).mean()
    assert kpi("Repeat purchase rate") == f"{repeat:.1%}"
    # CRR per segment: the store counts summed by hand, latest complete year
    columns = ["customers_start", "customers_end", "new_customers"]
    complete = periods[periods["is_complete"]]
    by_segment = complete.groupby(["industry_segment", "period_start"])[columns].sum()
    by_segment = by_segment[by_segment["customers_start"] > 0].reset_index()
    latest = by_segment[by_segment["period_start"] == by_segment["period_start"].max()]
    assert len(latest) > 0
    for row in latest.itertuples():
        crr = (row.customers_end - row.new_customers) / row.customers_start
        assert kpi(f"CRR — {row.industry_segment}") == f"{crr:.1%}"
    orders["device"] = orders["device"].fillna("unknown")
    for device, group in orders.groupby("device"):
        aov = float(group["net_revenue"].sum()) / len(group)
        assert kpi(f"AOV — {device}") == f"${aov:,.2f}"


def test_report_renders_in_chromium(full_warehouse: Path, tmp_path: Path, chromium: str) -> None:
    """Headless Chromium: no script errors, every chart has a size, all heatmap cells
    drawn; the screenshot is kept in artifacts/ as a build artifact."""
    out = tmp_path / "report.html"
    build_report(full_warehouse, out)
    html = out.read_text()
    page = browser.load(chromium, out)
    assert not re.search(r"<html[^>]* data-js-errors=", page.dom), page.dom[:300]
    assert not page.console_errors, page.console_errors
    charts = html.count("<svg class='chart ")
    cells = html.count("<rect class='heatmap-cell'")
    assert charts >= 5 and cells > 100
    assert re.search(rf"<html[^>]* data-charts-drawn=\"{charts}\"", page.dom)
    assert re.search(rf"<html[^>]* data-heatmap-cells=\"{cells}\"", page.dom)

    png = browser.screenshot(chromium, out, tmp_path / "report.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 4200)
    assert len(data) > 100_000  # a blank page compresses to a few KB
    SCREENSHOT_ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, SCREENSHOT_ARTIFACT)


def test_browser_check_catches_script_errors(tmp_path: Path, chromium: str) -> None:
    """Negative control: a page whose script throws is reported as such."""
    page_file = tmp_path / "broken.html"
    broken = "<script>document.addEventListener('DOMContentLoaded', () => missing.call());</script>"
    page_file.write_text(
        f"<!DOCTYPE html><html><head><script>{SCRIPT}</script>{broken}</head><body></body></html>"
    )
    page = browser.load(chromium, page_file)
    assert re.search(r"<html[^>]* data-js-errors=\"[^\"]*missing", page.dom)
    assert page.console_errors


def test_forward_sections_match_the_marts(full_warehouse: Path, tmp_path: Path) -> None:
    """Survival points, calibration deciles and the scenario table = pandas sums of the marts."""
    with duckdb.connect(str(full_warehouse), read_only=True) as con:
        survival = con.execute("select * from marts.fct_cohort_survival").df()
        scenarios = con.execute("select * from marts.rpt_retention_scenarios").df()
        calibration = con.execute("select * from marts.rpt_next_purchase_calibration").df()
    out = tmp_path / "report.html"
    build_report(full_warehouse, out)
    html = out.read_text()

    # survival chart: observed share at k = 1 over the cohorts observed there
    observed = survival[(~survival["is_forecast"]) & (survival["survival_period"] == 1)]
    share = observed["surviving_customers"].sum() / observed["cohort_size"].sum()
    assert f"observed: 1, {share * 100:.0f}%" in html

    # scenario table: sums over the stores with a projection
    projected = scenarios[scenarios["projected_net_revenue"].notna()]
    totals = projected.groupby(["crr_uplift_points", "horizon_months"]).sum(numeric_only=True)
    for (uplift, horizon), row in totals.iterrows():
        match = re.search(
            rf"<tr data-scenario='{uplift:g}-{horizon}'>((?:<td>[^<]*</td>)+)</tr>", html
        )
        assert match, (uplift, horizon)
        cells = re.findall(r"<td>([^<]*)</td>", match.group(1))
        assert cells[2] == f"{row['projected_active_customers']:,.0f}"
        assert cells[3] == f"${row['projected_net_revenue']:,.0f}"
        assert cells[5] == f"${row['net_revenue_gain_vs_unchanged']:,.0f}"

    # calibration table: customer-weighted deciles pooled over segments
    table = re.search(r"data-table='calibration'>.*?<tbody>(.*?)</tbody>", html).group(1)
    shown = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td>([\d,]+)</td>", table)
    pooled = calibration.groupby(["horizon_days", "prediction_decile"])["customers"].sum()
    assert [(int(h), int(d), int(n.replace(",", ""))) for h, d, n in shown] == [
        (h, d, n) for (h, d), n in pooled.items()
    ]
