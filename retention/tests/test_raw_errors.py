"""A raw file that breaks the contract stops the build with a message naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

from retention.tests.conftest import DATA_DIR, BuildWarehouse


def _copy_tiny(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(DATA_DIR / "tiny", raw, ignore=shutil.ignore_patterns("*.md"))
    return raw


def test_missing_required_column_names_file_and_column(
    build_warehouse: BuildWarehouse, tmp_path: Path
) -> None:
    raw = _copy_tiny(tmp_path)
    orders = raw / "orders.csv"
    lines = orders.read_text().splitlines()
    header = lines[0].split(",")
    drop = header.index("ordered_at")
    orders.write_text(
        "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in lines)
        + "\n"
    )
    result = build_warehouse(raw, command=("run", "-s", "raw_orders"), expect_success=False).result
    assert not result.ok
    assert "orders.csv' lacks required column(s): ordered_at" in result.output


def test_missing_required_file_is_named(build_warehouse: BuildWarehouse, tmp_path: Path) -> None:
    raw = _copy_tiny(tmp_path)
    (raw / "orders.csv").unlink()
    result = build_warehouse(raw, command=("run", "-s", "raw_orders"), expect_success=False).result
    assert not result.ok
    assert (
        "Required raw file" in result.output
        and "orders.csv' (or .csv.gz, .parquet, or a folder 'orders/' of such files) not found"
        in result.output
    )


def test_missing_optional_file_gives_empty_typed_relation(
    build_warehouse: BuildWarehouse, tmp_path: Path
) -> None:
    raw = _copy_tiny(tmp_path)
    (raw / "refunds.csv").unlink()
    (raw / "customers.csv").unlink()
    warehouse = build_warehouse(raw, command=("run", "-s", "+raw_refunds", "+raw_customers"))
    assert warehouse.query("select count(*) from raw.raw_refunds") == [(0,)]
    columns = [row[0] for row in warehouse.query("describe raw.raw_refunds")]
    assert columns[:3] == ["_source_row_number", "_source_file", "_wrong_field_count"]
    assert columns[3:] == ["refund_id", "store_id", "order_id", "refunded_at", "amount"]
