"""The DuckDB-vs-Spark mart comparator (retention.spark.compare) on its own.

`make test-spark` trusts it to fail on any difference, so it is tested here
without Spark: two real DuckDB copies of a mart, one changed by a cent, a
rate, a row, a null or a type.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from retention.spark.compare import Table, column_kind, compare_tables, normalise_type
from retention.spark.parity import duckdb_table, mart_keys
from retention.tests.conftest import Warehouse

MART = """
    create schema marts;
    create table marts.fct_example as
    select * from (values
        ('s1', 'o1', cast(10.05 as decimal(18, 2)), cast(0.25 as double), date '2024-01-31', 3),
        ('s1', 'o2', cast(0.00 as decimal(18, 2)), cast(null as double), date '2024-02-29', 0),
        ('s2', 'o1', cast(1234567.89 as decimal(18, 2)), 1 / 3, date '2024-03-01', 7)
    ) as t(store_id, order_id, net_revenue, retention_rate, order_date, orders_count)
"""
KEY = ["store_id", "order_id"]


@pytest.fixture
def warehouses(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical DuckDB files holding marts.fct_example."""
    paths = (tmp_path / "left.duckdb", tmp_path / "right.duckdb")
    for path in paths:
        with duckdb.connect(str(path)) as con:
            con.execute(MART)
    return paths


def _change(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(sql)


def _compare(left: Path, right: Path, key: list[str] | None = KEY):
    return compare_tables(
        "fct_example", duckdb_table(left, "fct_example"), duckdb_table(right, "fct_example"), key
    )


def test_identical_marts_are_equal(warehouses: tuple[Path, Path]) -> None:
    result = _compare(*warehouses)
    assert result.equal, result.report()
    assert result.report().endswith(": equal")


def test_a_changed_cent_is_reported_with_its_key_and_values(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(
        right,
        "update marts.fct_example set net_revenue = 10.06 "
        "where store_id = 's1' and order_id = 'o1'",
    )
    result = _compare(left, right)
    assert not result.equal
    report = result.report()
    assert "column net_revenue (money): 1 rows differ" in report
    assert "'store_id': 's1', 'order_id': 'o1'" in report
    assert "Decimal('10.05') vs Decimal('10.06')" in report


def test_money_is_compared_to_the_cent(warehouses: tuple[Path, Path]) -> None:
    left, _ = warehouses
    table = duckdb_table(left, "fct_example")
    rows = [list(row) for row in table.rows]
    rows[0][2] = 10.0500000001  # a double that rounds to the same cents
    other = Table(table.columns, table.types, [tuple(r) for r in rows])
    assert compare_tables("fct_example", table, other, KEY).equal


def test_rates_tolerate_1e_minus_9_but_not_more(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(right, "update marts.fct_example set retention_rate = retention_rate + 1e-12")
    assert _compare(left, right).equal
    _change(
        right,
        "update marts.fct_example set retention_rate = retention_rate + 1e-7 where store_id = 's2'",
    )
    result = _compare(left, right)
    assert "column retention_rate (rate): 1 rows differ" in result.report()


def test_null_differs_from_a_value(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(right, "update marts.fct_example set retention_rate = 0 where order_id = 'o2'")
    assert "column retention_rate (rate): 1 rows differ" in _compare(left, right).report()


def test_missing_and_extra_rows_are_reported(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(right, "update marts.fct_example set order_id = 'o3' where store_id = 's2'")
    report = _compare(left, right).report()
    assert "1 rows only left, e.g. {'store_id': 's2', 'order_id': 'o1'}" in report
    assert "1 rows only right, e.g. {'store_id': 's2', 'order_id': 'o3'}" in report


def test_exact_columns_must_be_equal(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(right, "update marts.fct_example set order_date = order_date + 1 where order_id = 'o2'")
    assert "column order_date (exact): 1 rows differ" in _compare(left, right).report()


def test_duplicate_keys_and_column_types_are_checked(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(
        right,
        "create or replace table marts.fct_example as "
        "select * replace (cast(orders_count as bigint) as orders_count, 's1' as store_id, "
        "'o1' as order_id) "
        "from marts.fct_example",
    )
    report = _compare(left, right).report()
    assert "column orders_count: type INTEGER vs BIGINT" in report
    assert "right: 2 rows share a key" in report


def test_engine_type_spellings_are_normalised() -> None:
    assert normalise_type("VARCHAR") == normalise_type("string") == "text"
    assert normalise_type("DECIMAL(18,2)") == normalise_type("decimal(18, 2)")
    assert normalise_type("TIMESTAMP") == normalise_type("timestamp_ntz")
    assert normalise_type("INTEGER") == normalise_type("int")
    assert [column_kind(t) for t in ("DECIMAL(18,2)", "DOUBLE", "BIGINT")] == [
        "money",
        "rate",
        "exact",
    ]


def test_mart_keys_come_from_primary_keys_or_unique_tests(tmp_path: Path) -> None:
    manifest = {
        "nodes": {
            "model.retention.fct_a": {
                "resource_type": "model",
                "name": "fct_a",
                "fqn": ["retention", "marts", "fct_a"],
                "constraints": [{"type": "primary_key", "columns": ["store_id", "order_id"]}],
                "columns": {},
            },
            "model.retention.dim_b": {
                "resource_type": "model",
                "name": "dim_b",
                "fqn": ["retention", "marts", "dim_b"],
                "constraints": [],
                "columns": {"b_id": {"name": "b_id", "constraints": [{"type": "primary_key"}]}},
            },
            "model.retention.fct_d": {
                "resource_type": "model",
                "name": "fct_d",
                "fqn": ["retention", "marts", "fct_d"],
                "constraints": [],
                "columns": {},
            },
            "test.retention.unique_combination_of_columns_fct_d": {
                "resource_type": "test",
                "name": "unique_combination_of_columns_fct_d",
                "fqn": ["retention", "marts", "unique_combination_of_columns_fct_d"],
                "attached_node": "model.retention.fct_d",
                "test_metadata": {
                    "name": "unique_combination_of_columns",
                    "kwargs": {"combination_of_columns": ["store_id", "d_id"]},
                },
            },
            "model.retention.int_c": {
                "resource_type": "model",
                "name": "int_c",
                "fqn": ["retention", "intermediate", "int_c"],
                "constraints": [],
                "columns": {},
            },
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert mart_keys(path) == {
        "dim_b": ["b_id"],
        "fct_a": ["store_id", "order_id"],
        "fct_d": ["store_id", "d_id"],
    }


def test_the_project_declares_a_key_for_every_mart(sample_warehouse: Warehouse) -> None:
    """Every mart the Spark check compares has a primary key to match rows on.

    The manifest of this session's build (never a possibly stale target/).
    """
    keys = mart_keys(sample_warehouse.target_path / "manifest.json")
    built = {
        row[0]
        for row in sample_warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert set(keys) == built
    assert {name for name, key in keys.items() if not key} == set()


def test_columns_are_matched_by_name(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(
        right,
        "create or replace table marts.fct_example as "
        "select orders_count, * exclude (orders_count) from marts.fct_example",
    )
    result = compare_tables(
        "fct_example", duckdb_table(left, "fct_example"), duckdb_table(right, "fct_example"), KEY
    )
    assert result.equal, result.report()
    assert "column order differs" in result.report()


def test_a_missing_column_is_reported(warehouses: tuple[Path, Path]) -> None:
    left, right = warehouses
    _change(right, "alter table marts.fct_example drop column orders_count")
    assert (
        "columns differ: only left ['orders_count'], only right []"
        in _compare(left, right).report()
    )
