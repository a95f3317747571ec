"""Every reject reason of staging, on a dataset with one broken row per reason."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from retention.dbt import dbt_env
from retention.tests.conftest import DATA_DIR, BuildWarehouse, Warehouse
from retention.tests.dbt_runs import run_dbt
from retention.tests.hermetic import WRITE_JSON

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
        # GBP has no rate for 2010 (the seed starts in 2015, fx_rates.csv has EUR only)
        ("orders", "S1|B9", "missing_fx_rate"),
        # 2099 is a date problem before a currency problem
        ("orders", "S1|B12", "out_of_range_timestamp"),
        # too few fields, too many fields
        ("orders", "S1|B13", "wrong_field_count"),
        ("orders", "S1|B14", "wrong_field_count"),
        # two identical copies: the first is kept, the second rejected
        ("orders", "S1|B10", "duplicate_order_id"),
        # two different versions (one with its id padded): both rejected
        ("orders", "S1|B11", "conflicting_duplicate_order_id"),
        ("orders", "S1|B11", "conflicting_duplicate_order_id"),
        ("stores", "", "missing_key"),
        ("stores", "S9", "unknown_timezone"),
        ("fx_rates", "CHF|2024-01-01", "negative_amount"),
        ("fx_rates", "CHF|", "unparseable_timestamp"),
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


# the build date the future-date check is measured from
VARS = {"build_date": "2024-06-30"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Built with the default max_rejected_share: the build fails (every
    table is mostly broken rows), but every model is built."""
    directory = tmp_path_factory.mktemp("rejects")
    path = directory / "rejects.duckdb"
    env = dbt_env(
        raw_data_dir=DATA_DIR / "rejects",
        warehouse_path=path,
        target_path=directory / "target",
        extra=WRITE_JSON,  # the test reads run_results.json
    )
    return Warehouse(path, run_dbt(["build"], vars=VARS, env=env), directory / "target")


def test_too_many_rejects_fail_the_build_loudly(warehouse: Warehouse) -> None:
    output = warehouse.result.output
    assert not warehouse.result.ok
    assert "FAIL" in output and "assert_rejected_share_within_limit" in output
    # the log names the reasons with counts and the missing rates
    assert "orders: wrong_field_count 2 rows" in output
    assert "missing exchange rates (currency month): GBP 2010-05" in output
    assert "fx_rates.csv" in output
    # any reject is a warning; orders were accepted, so that test passes
    assert "WARN" in output and "assert_no_rejected_rows" in output
    assert "PASS assert_some_order_accepted" in output
    # the marts were still built (the failing tests sit on the row counts only)
    assert warehouse.query("select count(*) from marts.fct_orders") != [(0,)]
    results = json.loads((warehouse.target_path / "run_results.json").read_text())["results"]
    skipped = [r["unique_id"] for r in results if r["status"] == "skipped"]
    assert not skipped, skipped


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
    # B15 is EUR in 2010: converted with the rate of RAW_DATA_DIR/fx_rates.csv
    assert accepted_orders == [("B10",), ("B15",), ("G1",), ("G2",)]
    b15 = warehouse.query("select net_revenue from marts.fct_orders where order_id = 'B15'")
    assert b15 == [(Decimal("25.20"),)]  # 20.00 EUR x 1.26
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
    result = run_dbt(["test", "-s", "assert_raw_rows_reconcile"], vars=VARS, env=env)
    assert not result.ok
    assert "assert_raw_rows_reconcile" in result.output


def test_an_export_saved_twice_keeps_one_copy_of_each_order(
    build_warehouse: BuildWarehouse, tmp_path: Path
) -> None:
    """Orders as a folder holding the same export twice ("export.csv" and
    "export (1).csv"): every copy sits at the same row number in its file,
    so the first copy is chosen by file, then row. The accepted orders are
    those of the export read once; each second copy is a duplicate."""
    once = tmp_path / "once"
    shutil.copytree(DATA_DIR / "tiny", once, ignore=shutil.ignore_patterns("*.md"))
    twice = tmp_path / "twice"
    shutil.copytree(once, twice)
    (twice / "orders").mkdir()
    shutil.move(twice / "orders.csv", twice / "orders" / "export.csv")
    shutil.copy(twice / "orders" / "export.csv", twice / "orders" / "export (1).csv")
    command = (
        "build",
        "-s",
        "+stg_shop__orders",
        "--resource-type",
        "model",
        "--resource-type",
        "seed",
    )
    accepted = "select * from staging.stg_shop__orders"
    single = build_warehouse(once, command=command, name="once").query(f"{accepted} order by all")
    built = build_warehouse(twice, command=command, name="twice")
    assert len(single) > 1
    assert built.query(f"{accepted} order by all") == single
    kept = built.query(
        "select distinct regexp_extract(_source_file, '[^/]*$') from staging.base_shop__orders "
        "where reject_reason is null"
    )
    assert kept == [("export (1).csv",)]  # ' ' sorts before '.'
    reasons = built.query(
        "select reject_reason, count(*) from staging.base_shop__orders "
        "where _source_file like '%/export.csv' group by all"
    )
    assert reasons == [("duplicate_order_id", len(single))]
