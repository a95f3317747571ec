"""Incremental builds equal a full refresh, step after step (issue 7, item 2).

One generated dataset is cut into the exports a store would send on
successive days; each step is built incrementally into one warehouse and
from scratch into another, and every table and view of the staging,
intermediate and marts schemas must hold the same rows in both. The steps
cover what breaks naive incremental models:

1. the history up to 2023-10-01, with some September orders still pending,
   some later-refunded orders still completed (their refunds not yet
   issued) and a tenth of the summer orders missing (they arrive late);
2. two months appended, the late orders arriving with their old dates, the
   pending orders completed, the completed ones refunded;
3. one more day;
4. the full year, with one order dropped from the export and a guest order
   attributed to a customer.

Then a build without any change must leave every table as it was, and the
incrementally built warehouse passes every dbt data test and the Great
Expectations checkpoint (--require-all), like a full build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from retention.dbt import dbt_env, run_dbt
from retention.generate.cli import main as generate
from retention.validate.checkpoint import run_checkpoint
from retention.validate.context import GX_DIR

MODELS_AND_SEEDS = ("build", "--resource-type", "model", "--resource-type", "seed")
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


@pytest.fixture(scope="module")
def full_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(
        [
            "--orders", "6000", "--stores", "3", "--seed", "11", "--format", "parquet",
            "--out", str(out), "--start", "2023-01-01", "--end", "2023-12-31", "--quiet",
        ]
    )  # fmt: skip
    return out


def _write_step(full: Path, out: Path, cutoff: str | None, step: int) -> Path:
    """Write the export of one step (see the module docstring) to `out`."""
    out.mkdir(parents=True)
    con = duckdb.connect()
    for table in ("stores", "customers", "marketing_spend"):
        con.execute(f"copy (select * from '{full}/{table}.parquet') to '{out}/{table}.parquet'")
    before_cutoff = f"< timestamp '{cutoff}'" if cutoff else "is not null"
    late = "hash(order_id) % 10 = 0 and ordered_at >= timestamp '2023-07-01'"
    september = "ordered_at >= timestamp '2023-09-01' and ordered_at < timestamp '2023-10-01'"
    orders = f"select * from '{full}/orders.parquet' where ordered_at {before_cutoff}"
    if step == 1:
        orders = f"""
            select * replace (
                case
                    when status = 'refunded' and {september} then 'completed'
                    when status = 'completed' and {september} and hash(order_id) % 3 = 0
                        then 'pending'
                    else status
                end as status
            )
            from ({orders}) where not ({late})
        """
    if step == 4:
        dropped, guest = _step_four_changes(con, full)
        orders = f"""
            select * replace (
                case when order_id = '{guest[1]}' and store_id = '{guest[0]}'
                    then '{guest[2]}' else customer_id end as customer_id
            )
            from ({orders})
            where not (store_id = '{dropped[0]}' and order_id = '{dropped[1]}')
        """
    con.execute(f"create table step_orders as {orders}")
    con.execute(f"copy step_orders to '{out}/orders.parquet'")
    refunds_withheld = "false" if step != 1 else f"orders.status <> 'refunded' and {september}"
    con.execute(
        f"""
        copy (
            select refunds.*
            from '{full}/refunds.parquet' as refunds
            left join '{full}/orders.parquet' as orders using (store_id, order_id)
            where refunds.refunded_at {before_cutoff} and not ({refunds_withheld})
        ) to '{out}/refunds.parquet'
        """
    )
    con.execute(
        f"copy (select * from '{full}/carts.parquet' where created_at {before_cutoff}) "
        f"to '{out}/carts.parquet'"
    )
    con.close()
    return out


def _step_four_changes(
    con: duckdb.DuckDBPyConnection, full: Path
) -> tuple[tuple[str, str], tuple[str, str, str]]:
    """A mid-history purchase of a repeat customer to drop; a guest order to attribute."""
    dropped = con.execute(
        f"""
        select store_id, order_id from '{full}/orders.parquet'
        where status = 'completed' and customer_id in (
            select customer_id from '{full}/orders.parquet'
            group by customer_id having count(*) >= 3
        ) and ordered_at between '2023-05-01' and '2023-05-31'
        order by store_id, order_id limit 1
        """
    ).fetchone()
    guest = con.execute(
        f"""
        select guest.store_id, guest.order_id, min(known.customer_id)
        from '{full}/orders.parquet' as guest
        join '{full}/orders.parquet' as known
            on known.store_id = guest.store_id and known.customer_id is not null
        where guest.customer_id is null and guest.status = 'completed'
            and guest.ordered_at between '2023-03-01' and '2023-03-31'
        group by 1, 2 order by 1, 2 limit 1
        """
    ).fetchone()
    assert dropped and guest, "the generated data lacks the rows step 4 changes"
    return dropped, guest


def _relations(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {COMPARED_SCHEMAS} order by 1"
        ).fetchall()
    return [name for (name,) in rows]


# measured durations differ between any two builds
NOT_COMPARED = {"fit_seconds"}


def _comparable_columns(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> str:
    """The select list: doubles to 10 significant digits, timings left out.

    DuckDB sums doubles in parallel in no fixed order, so two builds of the
    same data can differ in the last bit of an aggregated double.
    """
    schema, table = name.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return ", ".join(
        f"printf('%.10g', \"{column}\")" if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'
        for column, data_type in rows
        if column not in NOT_COMPARED
    )


def differences(left: Path, right: Path) -> dict[str, str]:
    """Relations whose rows differ between two warehouses (multiset comparison)."""
    names = _relations(left)
    found: dict[str, str] = {}
    missing = set(names) ^ set(_relations(right))
    for name in sorted(missing):
        found[name] = "present in one warehouse only"
    # attached under their own names (the file stems): views name their catalog
    con = duckdb.connect()
    con.execute(f"attach '{left}' (read_only)")
    con.execute(f"attach '{right}' (read_only)")
    for name in names:
        if name in missing:
            continue
        columns = _comparable_columns(con, left.stem, name)
        only_left, only_right = (
            con.execute(
                f"select count(*) from (select {columns} from {a}.{name} "
                f"except all select {columns} from {b}.{name})"
            ).fetchone()[0]
            for a, b in ((left.stem, right.stem), (right.stem, left.stem))
        )
        if only_left or only_right:
            found[name] = f"{only_left} rows only in {left.name}, {only_right} only in {right.name}"
    con.close()
    return found


def _fingerprint(path: Path, name: str) -> tuple[int, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select count(*), sum(hash(t)) from {name} as t").fetchone()


def _build(raw: Path, warehouse: Path, target: Path, *extra: str) -> dict[str, str]:
    env = dbt_env(raw_data_dir=raw, warehouse_path=warehouse, target_path=target)
    result = run_dbt([*MODELS_AND_SEEDS, *extra], env=env)
    assert result.ok, result.output[-6000:]
    run_results = json.loads((target / "run_results.json").read_text())
    return {
        item["unique_id"].split(".")[-1]: item.get("compiled_code") or ""
        for item in run_results["results"]
    }


def test_incremental_builds_equal_full_refresh(full_export: Path, tmp_path: Path) -> None:
    incremental = tmp_path / "incremental.duckdb"
    steps = [("2023-10-01", 1), ("2023-12-01", 2), ("2023-12-02", 3), (None, 4)]
    for cutoff, step in steps:
        raw = _write_step(full_export, tmp_path / f"raw_{step}", cutoff, step)
        compiled = _build(raw, incremental, tmp_path / f"target_inc_{step}")
        if step == 1:
            continue  # built into an empty file: a full build already
        # the incremental branch ran: only changed customers were sequenced
        assert "changed_orders" in compiled["fct_orders"], f"step {step} was not incremental"
        fresh = tmp_path / f"fresh_{step}.duckdb"
        _build(raw, fresh, tmp_path / f"target_fresh_{step}")
        assert differences(incremental, fresh) == {}, f"step {step} differs from a full refresh"

    # idempotence: building the same export again changes nothing
    previous = tmp_path / "previous.duckdb"
    shutil.copy(incremental, previous)
    _build(raw, incremental, tmp_path / "target_again")
    assert differences(incremental, previous) == {}, "a build without changes changed a table"
    orders = "marts.fct_orders"  # exactly equal, not only to 10 digits
    assert _fingerprint(incremental, orders) == _fingerprint(previous, orders)

    # the incrementally built warehouse passes what a full build must pass:
    # every dbt data test, and the Great Expectations checkpoint
    env = dbt_env(raw_data_dir=raw, warehouse_path=incremental, target_path=tmp_path / "t_test")
    tested = run_dbt(["test"], env=env)
    assert tested.ok, tested.output[-6000:]
    assert " PASS=" in tested.output and " ERROR=0 " in tested.output, tested.output[-2000:]
    gx_dir = tmp_path / "gx"
    gx_dir.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", gx_dir)
    report = run_checkpoint(incremental, require_all=True, gx_dir=gx_dir)
    assert report.success, report.failed + report.skipped + report.missing_marts


def test_differences_finds_a_changed_cent(tmp_path: Path) -> None:
    """The comparison used above is not blind: it finds one changed value."""
    for name, amount in (("a", "10.00"), ("b", "10.01")):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            con.execute("create schema marts")
            con.execute(
                "create table marts.fct_orders as "
                "select * from (values ('o1', 5.00::decimal(18, 2)), "
                f"('o2', {amount}::decimal(18, 2))) t(id, x)"
            )
    shutil.copy(tmp_path / "a.duckdb", tmp_path / "a_copy.duckdb")
    assert differences(tmp_path / "a.duckdb", tmp_path / "a_copy.duckdb") == {}
    assert set(differences(tmp_path / "a.duckdb", tmp_path / "b.duckdb")) == {"marts.fct_orders"}
