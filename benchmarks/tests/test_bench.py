"""The benchmark harness on a tiny dataset: baseline A == baseline B == warehouse.

A real dbt build of generated data and both baselines, compared row by row
(benchmarks/compare.py). The baselines are independent computations:
pandas computes period retention by brute force on the definition.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from benchmarks import baseline_duckdb, baseline_pandas
from benchmarks.compare import MARTS, compare_all
from benchmarks.data import ensure_dataset, parse_size, size_label
from benchmarks.dbt_timing import dbt_build


def test_parse_size() -> None:
    assert parse_size("1M") == 1_000_000
    assert parse_size("20k") == 20_000
    assert parse_size("2500") == 2_500
    assert size_label(50_000_000) == "50M"
    assert size_label(20_000) == "20k"


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    dataset = ensure_dataset(20_000, stores=3, seed=11, cache_dir=root / "data", log=lambda _: 0)
    warehouse = root / "warehouse.duckdb"
    build = dbt_build(dataset.base_dir, warehouse, root / "target")
    assert build.ok, build.measured.output[-4000:]
    assert build.measured.peak_rss_bytes > 0
    assert {n.name for n in build.models} >= {"fct_orders", "dim_customers"}
    baseline_duckdb.run(dataset.base_dir, root / "a.duckdb")
    baseline_pandas.run(dataset.base_dir, root / "b")
    return {"warehouse": warehouse, "a": root / "a.duckdb", "b": root / "b", "root": root}


@pytest.mark.slow
def test_one_day_append_split(bench_run: dict[str, Path]) -> None:
    data = next((bench_run["root"] / "data").iterdir())
    with duckdb.connect() as con:
        base_last, base_n = con.execute(
            f"select max(cast(ordered_at as date)), count(*) from '{data}/base/orders.parquet'"
        ).fetchone()
        full_last, full_n = con.execute(
            f"select max(cast(ordered_at as date)), count(*) from '{data}/full/orders.parquet'"
        ).fetchone()
    assert (full_last - base_last).days >= 1
    assert 0 < full_n - base_n < full_n * 0.01


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
    ],
    ids=["a cent", "a renamed column", "a missing mart"],
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
