"""The benchmark harness on a tiny dataset: baseline A == baseline B == warehouse.

A real dbt build of generated data and both baselines, compared row by row
(benchmarks/compare.py). The baselines are independent computations:
pandas computes period retention by brute force on the definition. The
generated data is clean, so rows that each validation rule must reject or
deduplicate are added to it first (_add_dirty_rows): the three must exclude
them the same way.
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


#: reject reasons the added rows must produce in the warehouse
DIRTY_REASONS = {
    "missing_key", "negative_amount", "unknown_currency",
    "out_of_range_timestamp", "discount_exceeds_subtotal", "duplicate_order_id",
    "conflicting_duplicate_order_id", "refund_exceeds_order", "refund_before_order",
    "duplicate_refund_id", "conflicting_duplicate_refund_id", "duplicate_customer",
    "conflicting_duplicate_customer", "unknown_order", "conflicting_duplicate_cart_id",
    "duplicate_cart_id",
}  # fmt: skip


def _add_dirty_rows(base: Path, dirty: Path) -> None:
    """``dirty``: the files of ``base`` plus copies of existing rows, changed so that
    one validation rule applies to each (and a few that must be accepted as clean)."""
    dirty.mkdir()
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
        for file in base.glob("*.parquet"):
            rows = extra.get(file.stem)
            if rows is None:
                shutil.copy(file, dirty / file.name)
                continue
            con.execute(
                f"create or replace temp table t as select * exclude (file_row_number),"
                f" file_row_number as n from read_parquet('{file}', file_row_number = true)"
            )
            added = " union all ".join(f"(select * exclude (n) from ({q}))" for q in rows)
            con.execute(
                f"copy (select * exclude (n) from t union all {added})"
                f" to '{dirty / file.name}' (format parquet)"
            )


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bench")
    dataset = ensure_dataset(20_000, stores=3, seed=11, cache_dir=root / "data", log=lambda _: 0)
    raw = root / "dirty"
    _add_dirty_rows(dataset.base_dir, raw)
    warehouse = root / "warehouse.duckdb"
    build = dbt_build(raw, warehouse, root / "target")
    assert build.ok, build.measured.output[-4000:]
    assert build.measured.peak_rss_bytes > 0
    assert {n.name for n in build.models} >= {"fct_orders", "dim_customers"}
    baseline_duckdb.run(raw, root / "a.duckdb")
    baseline_pandas.run(raw, root / "b")
    return {
        "warehouse": warehouse,
        "a": root / "a.duckdb",
        "b": root / "b",
        "root": root,
        "raw": raw,
    }


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
