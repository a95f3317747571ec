"""Every reject reason of staging, on a dataset with one broken row per reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from retention.dbt import dbt_env, run_dbt
from retention.tests.conftest import DATA_DIR, Warehouse, _build_once

# (raw_table, record_key, reject_reason) expected in stg_shop__rejects
EXPECTED_REJECTS = sorted(
    [
        ("orders", "S1|", "missing_key"),
        ("orders", "S1|B2", "unparseable_timestamp"),
        ("orders", "S1|B3", "out_of_range_timestamp"),
        ("orders", "S1|B4", "unknown_status"),
        ("orders", "S1|B5", "invalid_amount"),
        ("orders", "S1|B6", "negative_amount"),
        ("orders", "S1|B7", "discount_exceeds_subtotal"),
        ("orders", "S1|B8", "unknown_currency"),
        ("orders", "S1|B9", "missing_fx_rate"),
        # two identical copies: the first is kept, the second rejected
        ("orders", "S1|B10", "duplicate_order_id"),
        # two different versions: both rejected
        ("orders", "S1|B11", "conflicting_duplicate_order_id"),
        ("orders", "S1|B11", "conflicting_duplicate_order_id"),
        ("stores", "", "missing_key"),
        ("customers", "S1|", "missing_key"),
        ("customers", "S1|C2", "conflicting_duplicate_customer"),
        ("customers", "S1|C2", "conflicting_duplicate_customer"),
        ("refunds", "S1|RF1", "unknown_order"),
        # G1 is worth 50.00: the second 30.00 refund would exceed it
        ("refunds", "S1|RF2b", "refund_exceeds_order"),
        ("refunds", "S1|RF3", "negative_amount"),
        ("refunds", "S1|", "missing_key"),
        # dated before the order it refunds
        ("refunds", "S1|RF5", "refund_before_order"),
        ("carts", "S1|CA3", "unknown_order"),
        ("marketing_spend", "S1|2024-02-01|social", "negative_amount"),
        ("marketing_spend", "S1||email", "unparseable_timestamp"),
    ]
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _build_once(tmp_path_factory, DATA_DIR / "rejects", "rejects")


def test_every_reject_reason_and_counts_reconcile(warehouse: Warehouse) -> None:
    rejects = warehouse.query(
        "select raw_table, record_key, reject_reason from staging.stg_shop__rejects"
    )
    assert sorted(rejects) == EXPECTED_REJECTS

    # every rejected row can be found in its file and keeps its raw values
    located = warehouse.query(
        """
        select count(*) from staging.stg_shop__rejects
        where source_file like '%.csv' and source_row_number >= 1 and raw_values is not null
        """
    )
    assert located == [(len(EXPECTED_REJECTS),)]

    accepted_orders = warehouse.query("select order_id from marts.fct_orders order by order_id")
    assert accepted_orders == [("B10",), ("G1",), ("G2",)]
    # raw = accepted + rejected for every table is a dbt test; it ran in the build
    assert "assert_raw_rows_reconcile" in warehouse.result.output


def test_reconcile_test_fails_when_a_row_is_lost(warehouse: Warehouse, tmp_path: Path) -> None:
    """The dbt reconciliation test is not vacuous: drop a rejected row and it fails."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from staging.stg_shop__rejects where record_key = 'S1|B4'")
    env = dbt_env(
        raw_data_dir=DATA_DIR / "rejects", warehouse_path=copy, target_path=tmp_path / "target"
    )
    result = run_dbt(["test", "-s", "assert_raw_rows_reconcile"], env=env)
    assert not result.ok
    assert "assert_raw_rows_reconcile" in result.output
