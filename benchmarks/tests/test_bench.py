"""The benchmark harness on a tiny dataset: baseline A == baseline B == warehouse,
then the one-day change and a build with no change.

A real dbt build of generated data and both baselines, compared row by row
(benchmarks/compare.py). The raw folder is the bench's: the export of the
evening before the last day, orders one Parquet file per month
(benchmarks/daily.py). The baselines are independent computations: pandas
computes period retention by brute force on the definition. The generated
data is clean, so rows that each validation rule must reject or deduplicate
are added to it first (_add_dirty_rows): the three must exclude them the same
way. Then the folder is rewritten in place to the export of the last day
(the dirty rows go) and built again on the same warehouse, then once more
without any change: the build log must show 0 rows written.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from benchmarks import baseline_duckdb, baseline_pandas, daily, report
from benchmarks.cli import change_builds, scaling_reference, scaling_step
from benchmarks.compare import MARTS, compare_all
from benchmarks.data import ensure_dataset, parse_size, size_label
from benchmarks.dbt_timing import DbtBuild, NodeTiming, _execute_span, dbt_build
from benchmarks.measure import Measured, run_measured


def test_parse_size() -> None:
    assert parse_size("1M") == 1_000_000
    assert parse_size("20k") == 20_000
    assert parse_size("2500") == 2_500
    assert size_label(50_000_000) == "50M"
    assert size_label(20_000) == "20k"


def test_targets_are_checked_on_the_sizes_the_issue_names() -> None:
    def build(seconds: float, peak: float = 1.0) -> dict[str, Any]:
        return {"seconds": seconds, "peak_gb": peak}

    results = {
        "10M": {
            "steps": {
                "dbt_build": build(100.0),
                "baseline_a": {"seconds": 80.0},
                "baseline_b": {"skipped": "not requested"},
                "change_build": {"seconds": 8.0},
                "no_change_build": {"seconds": 5.0, "build_log": {"rows_written": 0}},
            }
        },
        "50M": {"steps": {"dbt_build": build(600.0, peak=4.5)}},
        "1M": {"steps": {"dbt_build": build(10.0, peak=9.0)}},
    }
    kept = "| 10M: baseline B ≥ 3 times the dbt build | 3.40 (ratio) | met |"
    previous = {"10M: baseline B ≥ 3 times the dbt build": kept}
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
        for line in report.targets_markdown(results, previous).splitlines()[2:]
    }
    assert rows["10M: dbt build ≤ 1.5 times baseline A"] == ["1.25 (ratio)", "met"]
    # not measured by the saved results: the earlier run's row, said to be one
    assert rows["10M: baseline B ≥ 3 times the dbt build"] == ["3.40 (ratio), earlier run", "met"]
    assert rows["50M: full build ≤ 5.5 times the 10M one"] == [
        "6.00 (ratio of separate runs)",
        "**not met**",
    ]
    # the 50M build's memory, not the 1M one's
    assert rows["50M: dbt build peak memory < 4 GB"] == ["4.50 (GB)", "**not met**"]
    assert rows["10M: one-day change ≤ 10% of the full build"] == ["0.08 (ratio)", "met"]
    assert rows["50M: one-day change ≤ 5% of the full build"] == ["-", "not measured"]
    assert rows["10M: build with no change writes 0 rows"] == ["0 (rows)", "met"]
    assert rows["CLV fit faster than lifetimes"] == ["-", "not measured"]
    fit = {"customers": 1_000, "ours_seconds": 2.0, "lifetimes_seconds": 15.0}
    results["10M"]["steps"]["clv_fit"] = fit
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
        for line in report.targets_markdown(results, previous).splitlines()[2:]
    }
    # measured by the 10M run (the fit alone takes at most --clv-customers)
    assert rows["CLV fit faster than lifetimes"] == [
        "7.50 (lifetimes ÷ ours, 1,000 customers)",
        "met",
    ]


def test_the_readme_summary_is_written_from_the_saved_results(tmp_path: Path) -> None:
    results = {
        "10M": {
            "label": "10M",
            "steps": {
                "dbt_build": {"seconds": 150.4, "peak_gb": 2.345},
                "baseline_a": {"seconds": 60.0},
                "change_build": {"seconds": 30.0},
                "no_change_build": {"seconds": 15.2, "build_log": {"rows_written": 0}},
                "as_of_date_build": {"seconds": 45.1},
            },
        },
        "50M": {
            "label": "50M",
            "steps": {
                "dbt_build": {"seconds": 800.0, "peak_gb": 2.7},
                "baseline_a": {"skipped": "--skip baseline-a"},
                "change_build": {"skipped": "--skip change"},
            },
        },
    }
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    for label, result in results.items():
        (results_dir / f"{label}.json").write_text(json.dumps(result))
    readme = tmp_path / "README.md"
    readme.write_text(
        "before\n<!-- bench:summary:start -->\n"
        f"{report.SUMMARY_HEADER}\n|---:|\n"
        "| 50M | 900 s | 2.80 GB | 757 s | 400 s, 0.44 of the build | - | - |\n"
        "<!-- bench:summary:end -->\nafter\n"
    )
    report.update_readme(report.targets_markdown(results), readme, results_dir)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("\nafter\n")
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in text.splitlines()
        if line.startswith("| 10M") or line.startswith("| 50M")
    }
    # 45.1 / 150.4 = 0.30, 30 / 150.4 = 0.20
    assert rows["10M"] == [
        "150 s",
        "2.35 GB",
        "60 s",
        "30 s, 0.20 of the build",
        "15 s, 0 rows written",
        "45 s, 0.30 of the build",
    ]
    # measured now: the run's; not measured: the README's earlier value, said to be one
    assert rows["50M"] == [
        "800 s",
        "2.70 GB",
        "757 s (an earlier run)",
        "400 s, 0.44 of the build (an earlier run)",
        "-",
        "-",
    ]
    met = text[text.index("Targets met") : text.index("Targets not met")]
    not_met = text[text.index("Targets not met") :]
    assert "- 10M: build with no change writes 0 rows: 0 (rows)" in met
    assert "- 10M: dbt build ≤ 1.5 times baseline A: 2.51 (ratio)" in not_met
    assert "- 10M: one-day change ≤ 10% of the full build: 0.20" in not_met
    # a second run keeps the marker once
    report.update_readme(report.targets_markdown(results), readme, results_dir)
    assert "757 s (an earlier run) |" in readme.read_text()


def test_the_readme_summary_agrees_with_benchmarks_md() -> None:
    """README.md's results table and targets are the ones BENCHMARKS.md records."""
    benchmarks = report.BENCHMARKS.read_text()
    readme = report.README.read_text()
    targets = report.block("targets").search(benchmarks)
    assert targets
    summary = report.summary_markdown({}, targets.group(1).strip())
    block = report.block(report.SUMMARY).search(readme)
    assert block
    assert block.group(1).rstrip().endswith(summary[summary.index("Targets met") :])
    for size, kept in report._summary_rows(readme).items():
        # a cell kept from an earlier run: that run's section is still the one in BENCHMARKS.md
        cells = [cell.removesuffix(f" {report.EARLIER_CELL}") for cell in kept]
        section = report.block(f"bench:{size}").search(benchmarks)
        assert section, size
        build = re.search(
            r"\| dbt build, all models and tests \| ([\d,.]+) \| ([\d.]+) \|", section.group(1)
        )
        assert build, size
        assert cells[0] == f"{float(build.group(1).replace(',', '')):.0f} s"
        assert cells[1] == f"{float(build.group(2)):.2f} GB"


def _run_result(label: str, data: dict[str, Any], steps: dict[str, Any]) -> dict[str, Any]:
    """A result as benchmarks.cli writes it, for report.section."""
    return {
        "label": label,
        "finished_at": "-",
        "load_before": "-",
        "load_after": "-",
        "machine": {"cores": 2},
        "data": data,
        "steps": steps,
    }


def test_the_size_ratio_comes_from_the_builds_around_the_large_one() -> None:
    assert scaling_reference("auto", parse_size("50M")) == parse_size("10M")
    assert scaling_reference("auto", parse_size("10M")) is None
    assert scaling_reference("none", parse_size("50M")) is None
    assert scaling_reference("1M", parse_size("10M")) == parse_size("1M")
    with pytest.raises(SystemExit, match="smaller"):
        scaling_reference("50M", parse_size("10M"))
    references = [
        {"when": "before", "seconds": 100.0, "cpu_seconds": 150.0, "peak_gb": 2.0},
        {"when": "after", "seconds": 125.0, "cpu_seconds": 160.0, "peak_gb": 2.1},
    ]
    scaling = scaling_step(600.0, "10M", references)
    assert (scaling["ratio_low"], scaling["ratio_high"]) == (4.8, 6.0)
    build50 = {"seconds": 600.0, "cpu_seconds": 1100.0, "peak_gb": 3.0, "ok": True}
    results = {
        # the 10M run of another hour: 600 / 90 would not meet the target
        "10M": {"steps": {"dbt_build": {"seconds": 90.0, "peak_gb": 2.0}}},
        "50M": {"steps": {"dbt_build": build50, "scaling": scaling}},
    }
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
        for line in report.targets_markdown(results, {}).splitlines()[2:]
    }
    assert rows["50M: full build ≤ 5.5 times the 10M one"] == [
        "5.33 (ratio, 10M built before and after)",
        "met",
    ]
    data = {"orders": 1, "stores": 1, "seed": 7, "customers": 1}
    text = report.section(_run_result("50M", data, results["50M"]["steps"]))
    assert "| 10M full build, before the one above | 100.0 | 2.00 |" in text
    assert "| 10M full build, after the one above | 125.0 | 2.10 |" in text
    assert (
        "| full build ÷ 10M full build (built before and after) | 5.33 (4.80-6.00) | "
        "≤ 5.5 (50M ÷ 10M) | met |"
    ) in text


def test_a_failed_build_is_not_a_measurement() -> None:
    error = "Out of Memory Error: failed to pin block of size 256.0 KiB"
    failed = {"seconds": 40.0, "cpu_seconds": 70.0, "ok": False, "error_tail": f"x\n  {error}\n"}
    steps = {"dbt_build": {"seconds": 100.0, "cpu_seconds": 180.0, "ok": True}}
    results = {"50M": {"steps": {**steps, "change_build": failed}}}
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:4]]
        for line in report.targets_markdown(results, {}).splitlines()[2:]
    }
    # 40 / 100 would pass for a measured ratio of 0.40; a failed build has none
    assert rows["50M: one-day change ≤ 5% of the full build"] == ["-", "not measured"]
    data = {"orders": 1, "stores": 1, "seed": 7, "customers": 1}
    text = report.section(_run_result("50M", data, {**steps, "change_build": failed}))
    assert f"**failed** ({error}); not a measurement" in text
    assert "| one-day change ÷ full build (time) | - |" in text
    skipped = report.section(
        _run_result("50M", data, {**steps, "clv_fit": {"skipped": "--skip clv"}})
    )
    assert "| BG/NBD + Gamma-Gamma fit (retention.clv) | - | - | skipped: --skip clv |" in skipped


#: reject reasons the added rows must produce in the warehouse
DIRTY_REASONS = {
    "missing_key", "negative_amount", "unknown_currency",
    "out_of_range_timestamp", "discount_exceeds_subtotal", "duplicate_order_id",
    "conflicting_duplicate_order_id", "refund_exceeds_order", "refund_before_order",
    "duplicate_refund_id", "conflicting_duplicate_refund_id", "duplicate_customer",
    "conflicting_duplicate_customer", "unknown_order", "conflicting_duplicate_cart_id",
    "duplicate_cart_id",
}  # fmt: skip


def _add_dirty_rows(raw: Path) -> None:
    """Add to the files of ``raw`` copies of existing rows, changed so that one
    validation rule applies to each (and a few that must be accepted as clean).
    The added orders go in a file of their own in the orders folder."""
    extra = {
        "orders": [
            "select * from t where n = 100",  # identical copy: the first wins
            "select * replace (case when status = 'pending' then 'completed' else 'pending'"
            " end as status) from t where n = 200",  # conflicting copy: both rejected
            "select * replace (order_id || '-neg' as order_id,"
            " cast(-5 as decimal(12, 2)) as subtotal_amount) from t where n = 300",
            "select * replace (order_id || '-xyz' as order_id, 'XYZ' as currency)"
            " from t where n = 400",
            "select * replace (order_id || '-late' as order_id,"
            " timestamp '2099-06-01' as ordered_at) from t where n = 500",
            "select * replace ('  ' as order_id) from t where n = 600",
            "select * replace (order_id || '-disc' as order_id,"
            " subtotal_amount + 1 as discount_amount) from t where n = 700",
            # accepted: trimmed key, status in capitals, blank customer, no discount
            "select * replace ('  ' || order_id || '-pad ' as order_id,"
            " upper(status) as status) from t where n = 800",
            "select * replace (order_id || '-guest' as order_id, ' ' as customer_id)"
            " from t where n = 900",
            "select * replace (order_id || '-nodisc' as order_id,"
            " null as discount_amount) from t where n = 1000",
        ],
        "refunds": [
            "select * replace (refund_id || '-big' as refund_id,"
            " cast(999999 as decimal(12, 2)) as amount) from t where n = 1",
            "select * replace (refund_id || '-early' as refund_id,"
            " timestamp '1995-01-01' as refunded_at) from t where n = 2",
            "select * from t where n = 3",
            "select * replace (amount + 0.01 as amount) from t where n = 4",
        ],
        "customers": [
            "select * replace ('ZZ' as country_code) from t where n = 50",
            "select * from t where n = 60",
            "select * replace (timestamp '2099-01-01' as loyalty_member_since) from t where n = 70",
        ],
        "carts": [
            "select * replace (cart_value + 1 as cart_value) from t"
            " where order_id is null and customer_id is not null"
            " order by created_at desc limit 1",
            "select * from t where order_id is null and customer_id is not null"
            " order by created_at desc limit 1 offset 1",
            "select * replace (cart_id || '-x' as cart_id, 'no-such-order' as order_id)"
            " from t where n = 5",
        ],
    }
    with duckdb.connect() as con:
        for table, rows in extra.items():
            folder = raw / table
            source = f"'{folder}/*.parquet'" if folder.is_dir() else f"'{raw}/{table}.parquet'"
            con.execute(
                f"create or replace temp table t as select * exclude (file_row_number),"
                f" row_number() over (order by file_index, file_row_number) - 1 as n"
                f" from read_parquet({source}, file_row_number = true)"
            )
            added = " union all ".join(f"(select * exclude (n) from ({q}))" for q in rows)
            if folder.is_dir():
                con.execute(f"copy ({added}) to '{folder}/zz-dirty.parquet' (format parquet)")
            else:
                con.execute(
                    f"copy (select * exclude (n) from t union all {added})"
                    f" to '{raw}/{table}.parquet' (format parquet)"
                )


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    dataset = ensure_dataset(20_000, stores=3, seed=11, cache_dir=root / "data", log=lambda _: 0)
    raw = root / "raw"
    daily.write_state(dataset.full_dir, raw, "before")
    _add_dirty_rows(raw)
    warehouse = root / "warehouse.duckdb"
    # models and seeds: the data tests run in make test's own builds (about
    # 15 CPU s here); the bench's build runs them too
    build = dbt_build(
        raw,
        warehouse,
        root / "target",
        args=("--resource-type", "model", "--resource-type", "seed"),
    )
    assert build.ok, build.measured.output[-4000:]
    assert build.measured.peak_rss_bytes > 0
    assert build.measured.cpu_seconds > 0
    assert {n.name for n in build.models} >= {"fct_orders", "dim_customers"}
    baseline_duckdb.run(raw, root / "a.duckdb")
    baseline_pandas.run(raw, root / "b")
    # the state the marts and baselines hold, kept: the change rewrites raw/
    shutil.copytree(raw, root / "before" / "raw")
    shutil.copy(warehouse, root / "before" / "warehouse.duckdb")
    return {
        "warehouse": root / "before" / "warehouse.duckdb",
        "a": root / "a.duckdb",
        "b": root / "b",
        "root": root,
        "raw": root / "before" / "raw",
        "built_raw": raw,
        "built_warehouse": warehouse,
        "full": dataset.full_dir,
    }


#: the change builds of the test: the models and seeds fct_orders depends on
#: (the bench builds everything). A dbt invocation costs about 13 CPU s here
#: even when every node is skipped; the whole project's models would cost 48.
CHANGE_SELECTION = (
    *("--select", "+fct_orders"),
    *("--resource-type", "model", "--resource-type", "seed"),
)


#: the tables that read the raw layer's small files or views (each under
#: is_small_table's 100,000 rows here), rebuilt when those are written again
SMALL_RAW_TABLES = {
    "base_shop__stores",
    "base_shop__fx_rates",
    "base_shop__marketing_spend",
    "stg_shop__raw_row_counts",
    "stg_shop__rejects",
}


@pytest.fixture(scope="module")
def change_run(bench_run: dict[str, Path]) -> dict[str, Any]:
    """Steps 5 to 7 of the bench on the built warehouse and its raw folder."""
    steps: dict[str, Any] = {}
    target = bench_run["root"] / "target"
    raw, warehouse = bench_run["built_raw"], bench_run["built_warehouse"]
    change_builds(bench_run["full"], raw, warehouse, target, {}, steps, CHANGE_SELECTION)
    return steps


@pytest.mark.slow
def test_the_added_rows_are_rejected_by_the_warehouse(bench_run: dict[str, Path]) -> None:
    with duckdb.connect(str(bench_run["warehouse"]), read_only=True) as con:
        reasons = {
            r
            for (r,) in con.execute(
                "select distinct reject_reason from staging.stg_shop__rejects"
            ).fetchall()
        }
        (abandoners,) = con.execute(
            "select count(*) from marts.dim_customers where is_cart_abandoner"
        ).fetchone()
    assert reasons >= DIRTY_REASONS, DIRTY_REASONS - reasons
    assert abandoners > 0


def _orders(con: duckdb.DuckDBPyConnection, raw: Path, name: str) -> None:
    con.execute(
        f"create temp table {name} as select * from read_parquet('{raw}/orders/2*.parquet')"
    )


@pytest.mark.slow
def test_one_day_change_content(bench_run: dict[str, Path], change_run: dict[str, Any]) -> None:
    """The two raw states differ as the change's description says (from the files)."""
    facts = daily.change_facts(bench_run["full"])
    day = facts["day"]
    with duckdb.connect() as con:
        _orders(con, bench_run["raw"], "b")
        _orders(con, bench_run["built_raw"], "a")
        (before_last,) = con.execute("select max(cast(ordered_at as date)) from b").fetchone()
        assert str(before_last) < day
        found = con.execute(
            f"""
            select
                (select count(*) from a where cast(ordered_at as date) = '{day}'),
                (select count(*) from a anti join b using (store_id, order_id)
                 where ordered_at < '{day}'),
                (select count(distinct strftime(ordered_at, '%Y-%m')) from a
                 anti join b using (store_id, order_id) where ordered_at < '{day}'),
                (select count(*) from a join b using (store_id, order_id)
                 where b.status = 'pending' and a.status = 'completed'),
                (select count(*) from a join b using (store_id, order_id)
                 where b.status = 'completed' and a.status = 'cancelled'
                 and a.ordered_at < cast('{day}' as date) - interval 60 day),
                (select count(*) from b anti join a using (store_id, order_id))
            """
        ).fetchone()
        (refunds_of_day_before,) = con.execute(
            f"select count(*) from '{bench_run['raw']}/refunds.parquet' "
            f"where refunded_at >= '{day}'"
        ).fetchone()
    appended, late, late_months, completed, cancelled, lost = found
    assert appended == facts["appended"] > 0
    assert late == facts["late"] > 0 and late_months >= 3
    assert completed == facts["completed"] > 0
    assert cancelled == facts["cancelled_in_old_months"] == 3
    assert facts["refunds_issued"] > 0 and refunds_of_day_before == 0
    assert lost == 0  # an order of the export before is never lost


@pytest.mark.slow
def test_one_day_change_rewrites_only_changed_files(
    bench_run: dict[str, Path], change_run: dict[str, Any]
) -> None:
    """A file is rewritten exactly when its rows change (compared with except all)."""
    before, after = bench_run["raw"], bench_run["built_raw"]
    rewritten = set(change_run["change_build"]["files"]["rewritten"])
    compared = 0
    with duckdb.connect() as con:
        for path in sorted(before.rglob("*.parquet")):
            name = str(path.relative_to(before))
            now = after / name
            if not now.exists():
                assert name == "orders/zz-dirty.parquet"
                continue
            differ = con.execute(
                f"select exists (select * from '{path}' except all select * from '{now}') "
                f"or exists (select * from '{now}' except all select * from '{path}')"
            ).fetchone()[0]
            assert differ == (name in rewritten), name
            compared += 1
    assert change_run["change_build"]["files"]["unchanged"] > 10
    assert compared > len(rewritten) > 3


def _change_section(bench_run: dict[str, Path], change_run: dict[str, Any]) -> str:
    """The report section of the change builds, after a full build of 100 s."""
    data = {"orders": 1, "customers": 1, "stores": 3, "seed": 11}
    steps = {"dbt_build": {"seconds": 100.0, "cpu_seconds": 150.0}, **change_run}
    change_facts = daily.change_facts(bench_run["full"])
    result = {**_run_result("20k", {**data, "change": change_facts}, steps), "disk_free_gb": 36.4}
    return report.section(result)


@pytest.mark.slow
def test_change_and_no_change_builds(
    bench_run: dict[str, Path], change_run: dict[str, Any]
) -> None:
    change, again = change_run["change_build"], change_run["no_change_build"]
    assert change["ok"], change.get("error_tail")
    log = change["build_log"]
    assert 0 < log["orders_revalidated"] < log["orders_rows"]
    assert log["actions"].get("skipped", 0) > 0 and log["actions"].get("incremental", 0) > 0
    assert log["rows_written"] == sum(n["rows_written"] for n in log["logged"]) > 0
    # the warehouse holds the orders of the export of the last day
    with duckdb.connect(str(bench_run["built_warehouse"]), read_only=True) as con:
        (published,) = con.execute("select count(*) from marts.fct_orders").fetchone()
    with duckdb.connect() as con:
        (exported,) = con.execute(
            f"select count(*) from '{bench_run['built_raw']}/orders/*.parquet'"
        ).fetchone()
    assert published == exported
    assert again["ok"], again.get("error_tail")
    assert again["build_log"]["rows_written"] == 0
    assert set(again["build_log"]["actions"]) == {"skipped"}
    scheduled = change_run["no_change_build_without_unit_tests"]
    assert scheduled["ok"], scheduled.get("error_tail")
    assert scheduled["build_log"]["rows_written"] == 0
    # every raw file written again with the same rows: the raw views run again,
    # the staging models find no changed bucket, and only small tables that
    # read them are rebuilt (with the same rows: nothing after them runs)
    same = change_run["same_content_build"]
    assert same["ok"], same.get("error_tail")
    assert same["touched"] > 10
    actions = {n["name"]: (n["action"], n["rows_written"]) for n in same["build_log"]["logged"]}
    assert actions["base_shop__orders"] == ("incremental", 0), actions
    assert actions["fct_orders"] == ("skipped", 0), actions
    rebuilt = {name for name, (action, _) in actions.items() if action == "rebuilt"}
    assert "base_shop__stores" in rebuilt, actions
    assert rebuilt <= SMALL_RAW_TABLES, actions
    text = _change_section(bench_run, change_run)
    assert "on 2 cores, 36 GB free on disk. Data:" in text
    assert "| the same, unit tests left out (`DBT_EXCLUDE_RESOURCE_TYPES=unit_test`) | " in text
    share = change["seconds"] / 100.0
    assert f"| one-day change ÷ full build (time) | {share:.3f} |" in text
    assert "| build with no change: rows written (build log) | 0 | 0 | met |" in text
    assert f"re-validated {log['orders_revalidated']:,} of {log['orders_rows']:,} rows" in text


@pytest.mark.slow
def test_as_of_date_moved_alone(bench_run: dict[str, Path], change_run: dict[str, Any]) -> None:
    """Step 7: as_of_date one day after the export's last day, no raw file rewritten:
    no raw row is read again, and the models that apply as_of_date run."""
    moved = change_run["as_of_date_build"]
    assert moved["ok"], moved.get("error_tail")
    next_day = daily.last_day(bench_run["full"]) + timedelta(days=1)
    assert moved["as_of_date"] == next_day.isoformat()
    results = json.loads((bench_run["root"] / "target" / "run_results.json").read_text())
    assert results["args"]["vars"] == {"as_of_date": next_day.isoformat()}
    actions = {n["name"]: n["action"] for n in moved["build_log"]["logged"]}
    raw_and_staging = {a for n, a in actions.items() if n.startswith(("raw_", "base_", "stg_"))}
    assert raw_and_staging == {"skipped"}
    assert actions["int_order_refunds_summed"] == "rebuilt"  # refunds up to as_of_date
    assert actions["fct_orders"] != "skipped"
    text = _change_section(bench_run, change_run)
    assert f"| as_of_date one day later ({next_day}), no raw change: dbt build | " in text
    share = moved["seconds"] / 100.0
    assert f"| as_of_date one day later, no raw change ÷ full build (time) | {share:.3f} |" in text


@pytest.mark.slow
def test_baselines_match_warehouse(bench_run: dict[str, Path]) -> None:
    results = compare_all(bench_run["warehouse"], bench_run["a"], bench_run["b"])
    assert sorted((r.mart, r.baseline) for r in results) == sorted(
        (mart, baseline) for mart in MARTS for baseline in ("baseline A", "baseline B")
    )
    for result in results:
        assert result.ok, result.line()
        assert result.warehouse_rows > 0
        assert set(result.mismatches) == set(MARTS[result.mart][1])  # every column compared


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            "update marts.fct_orders set net_revenue = net_revenue + 0.01 "
            "where store_id || '|' || order_id = "
            "(select min(store_id || '|' || order_id) from marts.fct_orders where is_purchase)",
            "mismatched columns {'net_revenue': 1}",
        ),
        (
            "alter table marts.dim_customers rename column average_order_value to aov",
            "absent columns {'warehouse': ['average_order_value']}",
        ),
        ("drop table marts.fct_cohort_retention", "FAILED (not in the warehouse"),
        (
            "alter table marts.fct_retention_periods add column new_metric double",
            "columns not compared ['new_metric']",
        ),
    ],
    ids=["a cent", "a renamed column", "a missing mart", "a new column"],
)
def test_the_comparison_fails_on(
    bench_run: dict[str, Path], tmp_path: Path, change: str, expected: str
) -> None:
    warehouse = tmp_path / "changed.duckdb"
    shutil.copy(bench_run["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(change)
    results = compare_all(warehouse, bench_run["a"], None)
    failed = [r.line() for r in results if not r.ok]
    assert len(failed) == 1, failed
    assert expected in failed[0]


@pytest.mark.slow
def test_a_mart_the_baseline_lacks_fails(bench_run: dict[str, Path], tmp_path: Path) -> None:
    baseline = tmp_path / "b"
    shutil.copytree(bench_run["b"], baseline)
    (baseline / "fct_retention_periods.parquet").unlink()
    failed = [r.line() for r in compare_all(bench_run["warehouse"], None, baseline) if not r.ok]
    assert len(failed) == 1 and "not computed by the baseline" in failed[0], failed


@pytest.mark.slow
def test_baseline_a_without_the_purchase_sequence_shortcut(
    bench_run: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The formulations on distinct purchase days, used when a customer's purchase
    dates are out of sequence, give the same marts."""
    monkeypatch.setattr(baseline_duckdb, "MONOTONE_CHECK", "select true")
    baseline_duckdb.run(bench_run["raw"], tmp_path / "a.duckdb")
    results = compare_all(bench_run["warehouse"], tmp_path / "a.duckdb", None)
    assert len(results) == len(MARTS)
    assert all(r.ok for r in results), [r.line() for r in results if not r.ok]


def test_a_models_peak_is_the_largest_tree_rss_sampled_while_it_ran() -> None:
    gb = 1024**3
    # dbt's execute phase of the model, as run_results.json writes it (UTC)
    started, completed = _execute_span(
        {
            "timing": [
                {"name": "compile", "started_at": "2026-11-30T09:00:00Z", "completed_at": "x"},
                {
                    "name": "execute",
                    "started_at": "2026-11-30T09:00:01.000000Z",
                    "completed_at": "2026-11-30T09:00:03.000000",
                },
            ]
        }
    )
    assert started is not None and completed is not None
    assert completed - started == pytest.approx(2.0)
    timeline = (
        (started - 0.5, 7 * gb),  # before: another model's peak
        (started + 0.5, 2 * gb),
        (started + 1.5, 3 * gb),
        (completed + 0.1, 9 * gb),  # after
    )
    build = DbtBuild(Measured(("dbt", "build"), 0, 5.0, 9 * gb, "", 1.0, timeline))
    ran = NodeTiming("model.retention.m", "model", "m", "success", 2.0, "table", started, completed)
    assert build.peak_gb_during(ran) == pytest.approx(3.0)
    not_run = NodeTiming("model.retention.n", "model", "n", "skipped", 0.0)
    assert build.peak_gb_during(not_run) is None


SPIKE = """
import time
spike = b"x" * (400 * 2**20)  # every page written: resident
del spike
time.sleep(1.0)
"""


def test_the_high_water_mark_keeps_a_spike_the_polls_may_miss() -> None:
    """400 MB held for a moment and freed: the process's VmHWM, polled with
    the RSS, still shows it after it is gone."""
    measured = run_measured([sys.executable, "-c", SPIKE])
    assert measured.ok, measured.output
    mb = 1024**2
    assert measured.hwm_timeline, "no VmHWM sample (not Linux?)"
    assert measured.hwm_timeline[-1][1] >= 400 * mb
    assert measured.rss_timeline[-1][1] < 300 * mb  # freed: the RSS is back down
    assert measured.peak_rss_bytes >= 400 * mb  # the polled VmHWM keeps it in the peak


LAUNCHER = """
import os, subprocess, sys
from benchmarks.measure import run_measured
held = b"x" * (600 * 2**20)  # the launcher's own memory, resident when it spawns
child = [sys.executable, "-c", "import time; time.sleep(0.5)"]
raw = subprocess.Popen(child)
_, _, usage = os.wait4(raw.pid, 0)
print(usage.ru_maxrss * 1024, run_measured(child).peak_rss_bytes)
"""


def test_a_child_is_not_charged_with_its_launchers_memory() -> None:
    """A small child of a big process: the kernel's ru_maxrss reports the
    launcher's size (Linux keeps the high-water mark of the memory a process
    gives up at exec); run_measured reports the child's."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER], capture_output=True, text=True, check=True
    )
    inherited, measured = (int(value) for value in out.stdout.split())
    mb = 1024**2
    assert inherited >= 600 * mb  # the kernel's figure: the launcher's memory
    assert measured < 200 * mb, measured / mb


def test_the_peak_is_placed_in_the_node_whose_high_water_mark_rose() -> None:
    gb = 1024**3
    nodes = [
        NodeTiming("model.retention.a", "model", "a", "success", 10.0, "table", 10.0, 20.0),
        NodeTiming("model.retention.b", "model", "b", "success", 10.0, "table", 20.0, 30.0),
        NodeTiming("model.retention.c", "model", "c", "skipped", 0.0),
    ]
    # b's spike ends before a poll inside it: the first poll after b sees it
    rss = ((5.0, 1 * gb), (15.0, 2 * gb), (25.0, 2 * gb), (31.0, 1 * gb))
    hwm = ((5.0, 1 * gb), (15.0, 2 * gb), (25.0, 2 * gb), (31.0, 7 * gb))
    build = DbtBuild(Measured(("dbt", "build"), 0, 30.0, 7 * gb, "", 1.0, rss, hwm), nodes)
    assert build.measured.sampled_peak_gb == pytest.approx(2.0)
    assert build.high_water_rise() == ("b", pytest.approx(7.0))
    step = {"peak_gb": 7.0, "sampled_peak_gb": 2.0, "high_water": ["b", 7.0]}
    assert "rose most during b (to 7.00 GB)" in report._peak_note(step)
    assert report._peak_note({**step, "peak_gb": 2.1}) == ""
