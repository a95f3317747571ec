"""Incremental builds equal a full refresh, step after step (issue 7, item 2).

One generated dataset (3 stores, 2023-01-01 to 2024-03-01) plus a few
hand-made customers is cut into the raw states a store would export on
successive days. The raw folder is rewritten in place, file by file: a
file whose content did not change is not touched, as a real export job
would leave it (orders are a folder table, one Parquet file per month).
Each state is built incrementally into one warehouse, and from scratch
into another (in parallel with the incremental chain); every table and
view of the staging, intermediate and marts schemas must hold the same
rows in both.

1. History up to 2023-12-31: some December orders still pending, some
   later-refunded orders still completed (refunds not yet issued), a few
   orders withheld (they arrive late), and a refund already issued on
   2024-01-01, after as_of_date (its row never changes; as_of_date moving
   in state 2 takes it into its order's refunded total).
2. One day appended across a month, quarter and year end (2024-01-01), and
   at once: the pending orders completed and refunds issued; a late order
   that becomes a customer's first purchase (its cohort moves); a late
   order that bridges a gap longer than W = 365 days; a removed order
   that splits an activity span; a customer's only purchase removed; a
   status change in an old month; a duplicate order appearing; a refund
   larger than the order's value; an early refund that makes an old
   order's later refund exceed its value; a customer signing up, an old customer's
   row edited and a conflicting copy of a customer appearing; carts of a
   late and of a removed order; a var changed (churn_risk_days); an
   unchanged conflicting pair of customer copies, one of them in a bucket
   read again for another customer's copy. Orders,
   carts, customers and refunds staging re-validate only the changed
   buckets (carts and refunds also those whose order changed, refunds the
   total of each order whose refunds changed); fct_orders compares
   only the orders in staging's changelog, and the customer-level state
   rewrites only the customers in fct_orders' changelog.
3. Two months more, to 2024-03-01 (leap year, W = 365), the duplicates
   gone, the only order of one monthly file removed (the file goes), an
   FX rate and a store row changed (orders staging re-validates every
   bucket) and an explicit earlier as_of_date (2024-02-29). fct_orders is
   left as an older version of the project would have left it, with other
   columns: the build drops it and builds it afresh instead of failing.
   Every incremental model then replaces all its rows, compiling the SQL
   of a first build, not its incremental SQL over every key.
4. The same export and vars again: every model and seed is skipped (the
   models rebuilt in state 3 as well), the
   build log (meta.build_log) shows zero rows written, and Great
   Expectations validates the incrementally built warehouse (every suite,
   --require-all).

States 3 and 4 are whole `dbt build`s with every data test (they pass on
the incrementally built warehouse). A data test runs again when a model or
seed it reads changed, and is not run again when its inputs hold the rows
it last passed on (state 4: none runs). State 1 builds models and seeds
only, state 2 adds the seeds' data tests (every data test there would cost
a minute of the suite), so that state 3 skips the tests of a seed that did
not change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from retention.dbt import DbtResult, dbt_env
from retention.generate.cli import main as generate
from retention.tests.dbt_runs import run_dbt
from retention.tests.hermetic import WRITE_JSON
from retention.validate.checkpoint import run_checkpoint
from retention.validate.context import GX_DIR

MODELS_AND_SEEDS = ("build", "--resource-type", "model", "--resource-type", "seed")
#: models, seeds and the data tests of the seeds only (a test on a seed
#: and nothing else, then skipped in state 3: its inputs did not change)
MODELS_SEEDS_AND_SEED_TESTS = (
    *("build", "--resource-type", "model", "--resource-type", "seed", "--resource-type", "test"),
    *("--select", "resource_type:model", "resource_type:seed"),
    *("resource_type:test,resource_type:seed+1", "--indirect-selection", "empty"),
)
#: states 3 and 4: models, seeds and every data test
EVERYTHING = ("build",)
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
STATE_VARS: dict[int, dict[str, object]] = {
    1: {},
    2: {"churn_risk_days": 90},
    3: {"churn_risk_days": 90, "as_of_date": "2024-02-29"},
    4: {"churn_risk_days": 90, "as_of_date": "2024-02-29"},
}
CUTOFFS = {1: "2024-01-01", 2: "2024-01-02", 3: "2024-03-02", 4: "2024-03-02"}

# hand-made purchases (store S0001, completed, USD): customer, order, date
# - CBRIDGE: two purchases 400 days apart; the middle one arrives late (state 2)
# - CSPLIT: a middle purchase removed in state 2 leaves a gap of 410 days
# - CFIRST: a late order dated before its first purchase arrives in state 2
# - CGONE: its only purchase is removed in state 2 (the customer goes)
MADE_ORDERS = (
    ("CBRIDGE", "X-BRIDGE-1", "2022-11-15"),
    ("CBRIDGE", "X-BRIDGE-2", "2023-06-01"),
    ("CBRIDGE", "X-BRIDGE-3", "2023-12-20"),
    ("CSPLIT", "X-SPLIT-1", "2022-10-01"),
    ("CSPLIT", "X-SPLIT-2", "2023-04-01"),
    ("CSPLIT", "X-SPLIT-3", "2023-11-15"),
    ("CFIRST", "X-FIRST-0", "2023-02-10"),
    ("CFIRST", "X-FIRST-1", "2023-05-05"),
    ("CFIRST", "X-FIRST-2", "2023-09-09"),
    ("CGONE", "X-GONE-1", "2023-06-15"),
)
LATE = {"X-BRIDGE-2", "X-FIRST-0"}  # absent in state 1
# the 2022-10 file goes in state 3; CGONE loses its only purchase in state 2
REMOVED = {2: {"X-SPLIT-2", "X-GONE-1"}, 3: {"X-SPLIT-2", "X-SPLIT-1", "X-GONE-1"}}
# hand-made carts (store S0001), converted into a hand-made order: cart,
# order, date. Their rows do not change, but the first names a late order
# (unknown_order in state 1, accepted in state 2) and the second a removed
# one (accepted in state 1, unknown_order in state 2): orders staging's
# changelog makes carts staging check them again.
MADE_CARTS = (
    ("X-CART-BRIDGE-2", "X-BRIDGE-2", "2023-06-01"),
    ("X-CART-SPLIT-2", "X-SPLIT-2", "2023-04-01"),
)


@pytest.fixture(scope="module")
def full_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate(
        [
            "--orders", "4000", "--stores", "3", "--seed", "11", "--format", "parquet",
            "--out", str(out), "--start", "2023-01-01", "--end", "2024-03-01", "--quiet",
        ]
    )  # fmt: skip
    return out


def _orders_sql(full: Path, state: int) -> str:
    """Every order of one raw state (see the module docstring)."""
    cutoff = CUTOFFS[state]
    made = ", ".join(
        f"('{order}', '{customer}', timestamp '{day} 12:00:00')"
        for customer, order, day in MADE_ORDERS
        if not (state == 1 and order in LATE) and order not in REMOVED.get(min(state, 3), set())
    )
    december = "ordered_at >= timestamp '2023-12-01' and ordered_at < timestamp '2024-01-01'"
    status = "status"
    if state == 1:
        status = f"""case
            when status = 'refunded' and {december} then 'completed'
            when status = 'completed' and {december} and hash(order_id) % 3 = 0 then 'pending'
            else status end"""
    old_order = (
        "(select min(order_id) from generated where status = 'completed' "
        "and ordered_at >= '2023-03-01' and ordered_at < '2023-04-01')"
    )
    if state >= 2:  # a status change in an old month
        status = f"case when order_id = {old_order} then 'cancelled' else status end"
    duplicate = ""
    if state == 2:  # an exact copy of a January order, in the same file
        duplicate = (
            "union all (select * from generated where ordered_at >= '2024-01-01' "
            "order by order_id limit 1)"
        )
    return f"""
        with generated as (select * from '{full}/orders.parquet'),
        template as (
            select * from generated
            where store_id = 'S0001' and currency = 'USD' order by order_id limit 1
        ),
        made as (
            select template.* replace (
                made.order_id as order_id, made.customer_id as customer_id,
                made.ordered_at as ordered_at, 'completed' as status
            )
            from template, (values {made}) as made(order_id, customer_id, ordered_at)
        ),
        everything as (
            select * replace ({status} as status) from generated
            union all select * from made
            {duplicate}
        )
        select * from everything where ordered_at < timestamp '{cutoff}'
    """


def _carts_sql(full: Path, state: int) -> str:
    """Every cart of one raw state: the hand-made carts first, then the
    generated ones in the order they were created (appending a day leaves
    the earlier rows where they were), then the state's extra copy."""
    made = ", ".join(
        f"('{cart}', '{order}', timestamp '{day} 11:00:00')" for cart, order, day in MADE_CARTS
    )
    copy = "select * from generated where false"
    if state == 2:  # a copy of an old cart, one day later: a conflicting duplicate
        copy = """select * replace (created_at + interval 1 day as created_at)
            from generated where created_at < timestamp '2023-04-01' order by cart_id limit 1"""
    return f"""
        with generated as (select * from '{full}/carts.parquet'),
        template as (select * from generated where store_id = 'S0001' order by cart_id limit 1),
        made as (
            select template.* replace (
                made.cart_id as cart_id, made.order_id as order_id,
                made.created_at as created_at
            )
            from template, (values {made}) as made(cart_id, order_id, created_at)
        ),
        copied as ({copy}),
        parts as (
            select 0 as part, * from made
            union all by name select 1 as part, * from generated
            union all by name select 2 as part, * from copied
        )
        select * exclude (part) from parts where created_at < timestamp '{CUTOFFS[state]}'
        order by part, created_at, store_id, cart_id
    """


def _customers_sql(full: Path, state: int) -> str:
    """Every customer of one raw state, in the order they were created: from
    state 2 on, a customer who signed up on the new day (appended) and an
    old customer who withdrew marketing consent (an edit in an old day's
    bucket); in state 2 only, a second copy of an old customer with another
    country, dated a day later (a conflicting duplicate in another bucket,
    gone again in state 3). In every state, first in the file (its row
    number never moves), a conflicting copy dated two days later of another
    customer of the old customer's bucket: in state 2 that bucket is read
    again for the new copy, the bucket of this one is not, and both of its
    copies stay conflicting."""
    new_day = "select * from generated where false"
    if state >= 2:
        new_day = f"""select * replace ('CNEWDAY' as customer_id,
                timestamp '{CUTOFFS[2]}' - interval 1 hour as created_at)
            from generated where store_id = 'S0001' order by customer_id limit 1"""
    copy = "select * from copied where false"
    if state == 2:
        copy = """select * replace ('QQ' as country_code, created_at + interval 1 day as created_at)
            from copied"""
    edited = "accepts_marketing"
    if state >= 2:
        edited = """case when customer_id = (select min(customer_id) from generated
            where store_id = 'S0003' and created_at < timestamp '2023-06-01')
            then not accepts_marketing else accepts_marketing end"""
    return f"""
        with generated as (select * from '{full}/customers.parquet'),
        single as (
            select * from generated
            where store_id = 'S0002' and created_at < timestamp '2023-05-01'
            qualify count(*) over (partition by customer_id) = 1
        ),
        copied as (
            select * from single
            where cast(created_at as date) in (
                select cast(created_at as date) from single group by 1 having count(*) > 1
            )
            order by customer_id limit 1
        ),
        bucket_mate as (
            select single.* from single, copied
            where cast(single.created_at as date) = cast(copied.created_at as date)
                and single.customer_id <> copied.customer_id
            order by single.customer_id limit 1
        ),
        parts as (
            select 0 as part, * replace (
                'QB' as country_code, created_at + interval 2 day as created_at
            ) from bucket_mate
            union all by name
            select 1 as part, * replace ({edited} as accepts_marketing) from generated
            union all by name select 2 as part, * from ({new_day})
            union all by name select 3 as part, * from ({copy})
        )
        select * exclude (part) from parts
        order by part, created_at nulls first, store_id, customer_id
    """


def _write_if_changed(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    """Write `query` to `path` as Parquet unless the file already holds exactly these rows."""
    if path.exists():
        same = con.execute(
            f"select (select count(*) from ({query})) = (select count(*) from '{path}') "
            f"and not exists (select * from ({query}) except all select * from '{path}')"
        ).fetchone()[0]
        if same:
            return
    con.execute(f"copy ({query}) to '{path}' (format parquet)")


def _write_state(full: Path, raw: Path, state: int) -> None:
    """Bring the raw folder `raw` to `state`, touching only the files that change."""
    (raw / "orders").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    cutoff = CUTOFFS[state]
    stores = f"select * from '{full}/stores.parquet'"
    if state >= 3:  # a store row changed: its industry segment
        stores = f"""select * replace (case when store_id = 'S0003' then 'supplements'
            else industry_segment end as industry_segment) from '{full}/stores.parquet'"""
    _write_if_changed(con, stores, raw / "stores.parquet")
    spend = f"select * from '{full}/marketing_spend.parquet'"
    _write_if_changed(con, spend, raw / "marketing_spend.parquet")
    _write_if_changed(con, _customers_sql(full, state), raw / "customers.parquet")
    _write_if_changed(con, _carts_sql(full, state), raw / "carts.parquet")

    con.execute(f"create table state_orders as {_orders_sql(full, state)}")
    months = con.execute(
        "select distinct strftime(ordered_at, '%Y-%m') from state_orders order by 1"
    ).fetchall()
    for stale in (raw / "orders").glob("*.parquet"):  # a month without orders: its file goes
        if (stale.stem,) not in months:
            stale.unlink()
    for (month,) in months:
        _write_if_changed(
            con,
            f"select * from state_orders where strftime(ordered_at, '%Y-%m') = '{month}' "
            "order by order_id, ordered_at",
            raw / "orders" / f"{month}.parquet",
        )
    withheld = "false"
    if state == 1:  # refunds of the December orders still shown completed
        withheld = """orders.status = 'refunded' and orders.ordered_at >= '2023-12-01'
            and orders.ordered_at < '2024-01-01'"""
    # a refund issued the day after state 1's as_of_date (2023-12-31), the
    # same row in every state: as_of_date moving to 2024-01-01 in state 2
    # takes it into its order's refunded total, no refund row changing
    made_refunds = f"""union all (select 2, 'R-LATE', store_id, order_id,
        timestamp '2024-01-01 12:00:00', 1.00
        from '{full}/orders.parquet' where status = 'completed' and ordered_at < '2023-07-01'
        order by order_id desc limit 1)"""
    if state >= 2:
        # a refund larger than the order's value; and an early refund of an
        # old refunded order, dated a day after the order: the order's
        # refund issued later, in an unchanged bucket, now exceeds its value
        made_refunds += f"""
            union all (select 2, 'R-BIG', store_id, order_id,
            ordered_at + interval 3 day, subtotal_amount + 25
            from state_orders where status = 'completed' and ordered_at < '2023-07-01'
            order by order_id limit 1)
            union all (select 2, 'R-EARLY', orders.store_id, orders.order_id,
            orders.ordered_at + interval 1 day, 1.00
            from state_orders as orders
            inner join '{full}/refunds.parquet' as refunds using (store_id, order_id)
            where orders.status = 'refunded' and orders.ordered_at < '2023-10-01'
                and refunds.refunded_at > orders.ordered_at + interval 2 day
                and refunds.amount + 1 > orders.subtotal_amount - orders.discount_amount
                and (store_id, order_id) in (select (store_id, order_id)
                    from '{full}/refunds.parquet' group by all having count(*) = 1)
            order by orders.store_id, orders.order_id limit 1)"""
    # in the order a platform exports them (by creation), the hand-made rows
    # last: a day's refunds are appended, earlier rows keep their numbers
    refunds = f"""
        select * exclude (part) from (
            select 1 as part, refunds.* from '{full}/refunds.parquet' as refunds
            left join '{full}/orders.parquet' as orders using (store_id, order_id)
            where refunds.refunded_at < timestamp '{cutoff}' and not ({withheld})
            {made_refunds}
        ) order by part, refunded_at, refund_id
    """
    _write_if_changed(con, refunds, raw / "refunds.parquet")
    con.close()
    if state >= 3:  # an FX rate of the raw data overrides the seed's
        fx = raw / "fx_rates.csv"
        content = "currency,month,rate_to_usd\nEUR,2023-06-01,1.2345\n"
        if not fx.exists() or fx.read_text() != content:
            fx.write_text(content)


def _relations(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {COMPARED_SCHEMAS} order by 1"
        ).fetchall()
    return [name for (name,) in rows]


def _comparable_columns(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> str:
    """The select list: doubles to 10 significant digits.

    Raw file paths are compared from the raw folder on (the fresh builds read
    a copy of the folder).

    DuckDB sums doubles in parallel in no fixed order, so two builds of the
    same data can differ in the last bit of an aggregated double.
    """
    schema, table = name.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return ", ".join(_comparable(column, data_type) for column, data_type in rows)


def _comparable(column: str, data_type: str) -> str:
    if data_type in ("DOUBLE", "FLOAT"):
        return f"printf('%.10g', \"{column}\")"
    if "file" in column:  # a raw file's path: relative to its raw folder (raw/, raw_2/)
        return f"regexp_replace(\"{column}\", '^.*/raw(_[0-9])?/', '')"
    return f'"{column}"'


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


def _build(
    raw: Path,
    warehouse: Path,
    target: Path,
    vars: dict[str, object],
    command: tuple[str, ...] = MODELS_AND_SEEDS,
) -> DbtResult:
    # the build log is read by the invocation id in run_results.json
    env = dbt_env(raw_data_dir=raw, warehouse_path=warehouse, target_path=target, extra=WRITE_JSON)
    return run_dbt(list(command), vars=vars, env=env)


Log = dict[str, dict[str, object]]


def _build_log(warehouse: Path, target: Path) -> Log:
    """The last invocation's build log: {model, seed or data test name: {column: value}}."""
    invocation = json.loads((target / "run_results.json").read_text())["metadata"]["invocation_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select node_id, action, rows_before, rows_after, rows_inserted, rows_deleted, "
            "rows_written, node_id from meta.build_log where invocation_id = ?",
            [invocation],
        )
        columns = [column[0] for column in found.description]
        rows = found.fetchall()
    # node ids: model.retention.<name>, test.retention.<name>.<hash>; a unit test
    # (unit_test.retention.<model>.<name>) writes no row, so names do not collide
    log = {row[0].split(".")[2]: dict(zip(columns[1:], row[1:], strict=True)) for row in rows}
    assert len(log) == len(rows), f"two build log rows share a name: {sorted(r[0] for r in rows)}"
    return log


def _one_row(warehouse: Path, query: str) -> tuple:
    """The first row of `query` on a warehouse file, opened read-only."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchone()


def _changed_raw_files(output: str, model: str) -> tuple[int, int]:
    """(changed, all) raw files of a bucketed staging model, as its build logged them."""
    found = re.search(rf"{model}: (\d+) of (\d+) raw files new or changed", output)
    assert found, f"{model} logged no raw file count"
    return int(found.group(1)), int(found.group(2))


def _compiled_sql(target: Path, model: str, warehouse: Path) -> str:
    """A model's SQL as dbt compiled it into `target`, its catalog (the
    warehouse file's stem) written as "warehouse"."""
    (path,) = (
        found
        for found in (target / "compiled").rglob(f"{model}.sql")
        if not found.parent.name.endswith(".yml")  # unit tests compile there
    )
    return path.read_text().replace(f'"{warehouse.stem}".', '"warehouse".')


def _data_tests(log: Log) -> Log:
    return {name: entry for name, entry in log.items() if str(entry["node_id"]).startswith("test.")}


def test_incremental_builds_equal_full_refresh(full_export: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    incremental = tmp_path / "incremental.duckdb"
    logs: dict[int, Log] = {}
    outputs: dict[int, str] = {}
    comparisons: list[tuple[int, Path, object]] = []
    with ThreadPoolExecutor(max_workers=1) as fresh_builds:
        for state in (1, 2, 3, 4):
            _write_state(full_export, raw, state)
            if state in (2, 3):  # the same raw state, built from scratch alongside
                fresh_raw = tmp_path / f"raw_{state}"
                shutil.copytree(raw, fresh_raw)
                fresh = tmp_path / f"fresh_{state}.duckdb"
                future = fresh_builds.submit(
                    _build, fresh_raw, fresh, tmp_path / f"target_fresh_{state}", STATE_VARS[state]
                )
                comparisons.append((state, fresh, future))
            if state == 2:  # the position of a consumer the project no longer has
                with duckdb.connect(str(incremental)) as con:
                    con.execute(
                        "insert into meta.change_positions "
                        "values ('int_removed_consumer', 'fct_orders', 0)"
                    )
            if state == 3:  # fct_orders as built by a version with other columns
                with duckdb.connect(str(incremental)) as con:
                    con.execute("alter table marts.fct_orders drop column device")
            target = tmp_path / f"target_inc_{state}"
            started = time.monotonic()
            command = {2: MODELS_SEEDS_AND_SEED_TESTS, 3: EVERYTHING, 4: EVERYTHING}
            result = _build(
                raw, incremental, target, STATE_VARS[state], command.get(state, MODELS_AND_SEEDS)
            )
            print(f"state {state}: incremental build {time.monotonic() - started:.0f} s")
            assert result.ok, f"state {state}:\n{result.output[-6000:]}"
            logs[state] = _build_log(incremental, target)
            outputs[state] = result.output
            if state in (2, 3):  # same file name: views name their catalog (the stem)
                (tmp_path / f"snapshot_{state}").mkdir()
                shutil.copy(incremental, tmp_path / f"snapshot_{state}" / incremental.name)

    for state, fresh, future in comparisons:
        built = future.result()
        assert built.ok, f"full refresh of state {state}:\n{built.output[-6000:]}"
        snapshot = tmp_path / f"snapshot_{state}" / incremental.name
        assert differences(snapshot, fresh) == {}, (
            f"state {state}: the incremental build differs from a full refresh"
        )

    # state 2 changed orders and refunds only: staging re-validated the
    # changed buckets (not every row), fct_orders ran its incremental
    # branch, nodes whose inputs did not change were skipped
    staged = logs[2]["base_shop__orders"]
    assert staged["action"] == "incremental", staged
    assert 0 < staged["rows_deleted"] < staged["rows_before"], staged
    assert 0 < staged["rows_inserted"] < staged["rows_after"], staged
    # ... and its changelog holds the orders whose rows changed, not every
    # order of the re-validated buckets (changelog_ignore)
    snapshot_2 = tmp_path / "snapshot_2" / incremental.name
    (recorded,) = _one_row(
        snapshot_2,
        "select count(*) from meta.changes where producer = 'base_shop__orders' "
        "and change_id = (select max(change_id) from meta.changes "
        "where producer = 'base_shop__orders')",
    )
    assert 0 < recorded < staged["rows_inserted"] / 2, (recorded, staged)
    # ... fct_orders forgot the removed consumer's position and dropped the
    # changes every remaining consumer had read (state 1's reset among them)
    (removed, unread) = _one_row(
        snapshot_2,
        "select (select count(*) from meta.change_positions "
        "where consumer = 'int_removed_consumer'), "
        "(select count(*) from meta.changes where producer = 'fct_orders' "
        "and change_id < (select min(change_id) from meta.change_positions "
        "where producer = 'fct_orders'))",
    )
    assert (removed, unread) == (0, 0), (removed, unread)
    # ... reading only the monthly files that changed (the other files' rows
    # were not read, their published buckets left as they were)
    changed_files = _changed_raw_files(outputs[2], "base_shop__orders")
    assert 0 < changed_files[0] < changed_files[1], changed_files
    assert logs[2]["fct_orders"]["action"] == "incremental", logs[2]["fct_orders"]
    # carts, customers and refunds staging re-validated some buckets, not every row
    for name in ("base_shop__carts", "base_shop__customers", "base_shop__refunds"):
        staged = logs[2][name]
        assert staged["action"] == "incremental", staged
        assert 0 < staged["rows_inserted"] < staged["rows_after"] / 2, staged
    # carts: the changed buckets and those holding a cart whose order changed
    # (the hand-made carts: unknown_order no more, and unknown_order now)
    (reasons,) = _one_row(
        snapshot_2,
        "select map(list(cart_id), list(coalesce(reject_reason, 'accepted'))) "
        "from staging.base_shop__carts where cart_id like 'X-CART-%'",
    )
    assert reasons == {"X-CART-BRIDGE-2": "accepted", "X-CART-SPLIT-2": "unknown_order"}
    # refunds: the early refund is accepted, and the order's later refund,
    # in a bucket whose rows did not change, now exceeds the order's value
    (reasons,) = _one_row(
        snapshot_2,
        "select list(coalesce(reject_reason, 'accepted') order by refunded_at) "
        "from staging.base_shop__refunds where (store_id, order_id) in "
        "(select (store_id, order_id) from staging.base_shop__refunds where refund_id = 'R-EARLY')",
    )
    assert reasons == ["accepted", "refund_exceeds_order"], reasons
    # customers: the buckets of the new day, the edited customer and the
    # copy, and the copied key re-flagged in its unchanged bucket (both
    # copies now conflicting; in state 3 the copy is gone: the full-refresh
    # comparison shows its key accepted again). The customer of the same
    # bucket whose copy lies in a bucket not read again (QB) keeps both
    # copies conflicting.
    (copied,) = _one_row(
        snapshot_2,
        "select list(reject_reason order by country_code) from staging.base_shop__customers "
        "where (store_id, customer_id) in (select (store_id, customer_id) "
        "from staging.base_shop__customers where country_code in ('QQ', 'QB'))",
    )
    assert copied == ["conflicting_duplicate_customer"] * 4, copied
    # the customer-level state read fct_orders' changelog: it rewrote the
    # changed customers' rows only (CGONE's deleted, no row inserted for it)
    for name in ("int_customers_aggregated", "int_customer_activity_spans"):
        entry = logs[2][name]
        assert entry["action"] == "incremental", entry
        assert 0 < entry["rows_inserted"] < entry["rows_after"], entry
    assert logs[2]["raw_marketing_spend"]["action"] == "skipped"
    assert logs[2]["industry_segments"]["action"] == "skipped"
    # state 3 changed a store row and an FX rate: every bucket re-validated
    # (the published rows deleted, all inserted again)
    staged = logs[3]["base_shop__orders"]
    assert staged["rows_deleted"] >= staged["rows_before"], staged
    assert staged["rows_inserted"] >= staged["rows_after"], staged
    # ... through a reset: its changelog holds the reset alone, not every key
    # (the consumers read every key after a reset)
    latest = _one_row(
        tmp_path / "snapshot_3" / incremental.name,
        "select count(*), bool_and(is_reset) from meta.changes "
        "where producer = 'base_shop__orders' and change_id = (select max(change_id) "
        "from meta.changes where producer = 'base_shop__orders')",
    )
    assert latest == (1, True), latest
    # the fct_orders with other columns was dropped and built afresh
    assert logs[3]["fct_orders"]["action"] == "rebuilt", logs[3]["fct_orders"]
    assert logs[3]["fct_orders"]["rows_before"] is None, logs[3]["fct_orders"]
    # every incremental model replaced all its rows in state 3 (staging: a
    # store row and an FX rate changed; the customer-level state: every key
    # of fct_orders changed) and compiled for it the SQL a build from
    # scratch compiles, not its incremental SQL over every key (macro
    # is_incremental)
    for name in (
        "base_shop__orders", "base_shop__carts", "base_shop__customers", "base_shop__refunds",
        "int_customers_aggregated", "int_customer_activity_spans", "int_customer_purchase_months",
    ):  # fmt: skip
        assert logs[3][name]["action"] == "rebuilt", (name, logs[3][name])
        assert logs[3][name]["rows_before"], (name, logs[3][name])
        assert _compiled_sql(tmp_path / "target_inc_3", name, incremental) == _compiled_sql(
            tmp_path / "target_fresh_3", name, tmp_path / "fresh_3.duckdb"
        ), f"state 3: {name} did not compile its first-build SQL"
    # a build with no change touches no row and changes no relation, also
    # where the last build was a rebuild (state 3): the models now compile
    # their incremental SQL, and are skipped all the same
    assert logs[4], "the no-change build logged nothing"
    written = {
        name: entry
        for name, entry in logs[4].items()
        if entry["action"] != "skipped" or entry["rows_written"] != 0
    }
    assert written == {}, f"a build without changes wrote rows: {written}"
    # data tests (states 3 and 4 run them all, state 2 the seeds' only): a
    # test whose models or seeds changed runs again; one whose inputs hold
    # the rows it last passed on is not run again (state 3: tests of an
    # unchanged seed; state 4: all)
    manifest = json.loads((tmp_path / "target_inc_3" / "manifest.json").read_text())
    for state in (3, 4):
        tests = _data_tests(logs[state])
        assert tests, f"state {state}: no data test in the build log"
        for name, entry in tests.items():
            parents = manifest["nodes"][entry["node_id"]]["depends_on"]["nodes"]
            changed = [
                parent
                for parent in parents
                if logs[state][parent.split(".")[2]]["action"] != "skipped"
                and logs[state][parent.split(".")[2]]["rows_written"] != 0
            ]
            if changed:
                assert entry["action"] == "tested", (state, name, changed, entry)
        skipped = [name for name, entry in tests.items() if entry["action"] == "skipped"]
        assert skipped, f"state {state}: every data test ran again"
    assert all(entry["action"] == "skipped" for entry in _data_tests(logs[4]).values())
    assert differences(incremental, tmp_path / "fresh_3.duckdb") == {}
    # ... the data tests passed on the incremental warehouse (states 3 and 4:
    # result.ok above); Great Expectations validates it as well
    assert "PASS assert_raw_rows_reconcile" in result.output, result.output[-3000:]
    assert "PASS unique_combination_of_columns_fct_orders" in result.output
    gx_dir = tmp_path / "gx"
    gx_dir.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", gx_dir)
    report = run_checkpoint(incremental, require_all=True, gx_dir=gx_dir)
    assert report.success, "\n".join(report.failed + report.skipped)

    # a selection that leaves out a view between a model and a change still
    # passes the change on: the raw files back to state 2, with
    # base_shop__orders and fct_orders selected but not the view
    # stg_shop__orders between them (raw_orders is: it lists the files)
    _write_state(full_export, raw, 2)
    target = tmp_path / "target_inc_selected"
    selected = ("run", "--select", "raw_orders", "base_shop__orders", "fct_orders")
    result = _build(raw, incremental, target, STATE_VARS[4], selected)
    assert result.ok, result.output[-6000:]
    log = _build_log(incremental, target)
    assert {name: log[name]["action"] for name in ("base_shop__orders", "fct_orders")} == {
        "base_shop__orders": "incremental",
        "fct_orders": "incremental",
    }, log


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


# The raw orders of test_a_new_change_is_read_after_the_changelog_emptied:
# O6 (2024-04-01) arrives in the last state; cart CA6 names it throughout
TINY = Path(__file__).parent / "data" / "tiny"
LATE_ORDER = "O6"
CARTS = (
    "cart_id,store_id,customer_id,created_at,cart_value,order_id\n"
    "CA1,S1,C1,2024-01-05 09:50:00,100.00,O1\n"
    "CA2,S1,C1,2024-03-01 09:50:00,20.00,\n"
    "CA6,S1,C2,2024-04-01 00:00:00,30.00,O6\n"
)
# one carts row of three rejected (unknown_order) until O6 arrives
EMPTYING_VARS = {"max_rejected_share": 0.5}


def test_a_new_change_is_read_after_the_changelog_emptied(tmp_path: Path) -> None:
    """A change is numbered after every consumer's position, even once
    meta.changes holds no row (every change read and dropped).

    1. Built with the late order O6 missing: cart CA6 is unknown_order.
    2. O9 completes: orders staging's changelog advances, and carts
       staging (its consumer) records its position.
    3. The orders and refunds files are rewritten as they were and
       as_of_date moves one day: the three producers run, drop the changes
       every consumer has read and record none; carts staging, whose inputs
       did not change, is skipped and keeps its position. meta.changes is
       empty.
    4. O6 arrives, the carts file unchanged: carts staging must read O6's
       change and accept CA6, as a full refresh does.
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("stores.csv", "customers.csv", "refunds.csv"):
        shutil.copy(TINY / name, raw / name)
    (raw / "carts.csv").write_text(CARTS)
    orders = (TINY / "orders.csv").read_text().splitlines(keepends=True)
    late = next(line for line in orders if line.startswith(f"{LATE_ORDER},"))
    first = [line for line in orders if line is not late]
    completed = [line.replace(",pending,", ",completed,") for line in first]
    incremental = tmp_path / "incremental.duckdb"

    def build(warehouse: Path, as_of_date: str, name: str) -> None:
        vars = {**EMPTYING_VARS, "as_of_date": as_of_date}
        result = _build(raw, warehouse, tmp_path / name, vars)
        assert result.ok, f"{name}:\n{result.output[-6000:]}"

    (raw / "orders.csv").write_text("".join(first))
    build(incremental, "2024-06-30", "target_1")
    (raw / "orders.csv").write_text("".join(completed))
    build(incremental, "2024-06-30", "target_2")
    later = time.time() + 5  # the same content, a newer modification time
    for name in ("orders.csv", "refunds.csv"):
        os.utime(raw / name, (later, later))
    build(incremental, "2024-07-01", "target_3")
    (changes, carts_position) = _one_row(
        incremental,
        "select (select count(*) from meta.changes), (select change_id from "
        "meta.change_positions where consumer = 'base_shop__carts')",
    )
    assert changes == 0 and carts_position > 0, (changes, carts_position)
    (raw / "orders.csv").write_text("".join([*completed, late]))
    build(incremental, "2024-07-01", "target_4")
    fresh = tmp_path / "fresh.duckdb"
    build(fresh, "2024-07-01", "target_fresh")

    assert _one_row(
        fresh, "select reject_reason from staging.base_shop__carts where cart_id = 'CA6'"
    ) == (None,)
    found = differences(incremental, fresh)
    assert not found, "\n".join(f"{name}: {difference}" for name, difference in found.items())


def test_an_order_change_checks_again_only_the_carts_it_can_flip(tmp_path: Path) -> None:
    """Carts staging reads an order only to reject a cart whose order
    staging does not accept (unknown_order). A cart names pending order O9:

    1. Built with O9 pending: cart CA9 accepted.
    2. O9 completes (status and nothing else): orders staging's changelog
       holds O9, and carts staging checks no cart again (0 rows written).
    3. O9's amount turns negative: orders staging rejects it, and carts
       staging checks CA9's bucket again: CA9 becomes unknown_order.

    Every relation then equals a full refresh.
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("stores.csv", "customers.csv", "refunds.csv"):
        shutil.copy(TINY / name, raw / name)
    (raw / "carts.csv").write_text(CARTS + "CA9,S1,C1,2024-06-30 09:00:00,20.00,O9\n")
    orders = (TINY / "orders.csv").read_text()
    pending = next(line for line in orders.splitlines() if line.startswith("O9,"))
    assert ",pending," in pending, pending
    incremental = tmp_path / "incremental.duckdb"
    vars = {**EMPTYING_VARS, "as_of_date": "2024-06-30"}
    steps = (
        orders,
        orders.replace(pending, pending.replace(",pending,", ",completed,")),
        orders.replace(pending, pending.replace(",pending,USD,20.00,", ",completed,USD,-20.00,")),
    )
    carts_written = []
    for step, content in enumerate(steps, start=1):
        (raw / "orders.csv").write_text(content)
        target = tmp_path / f"target_{step}"
        result = _build(raw, incremental, target, vars)
        assert result.ok, f"step {step}:\n{result.output[-6000:]}"
        carts_written.append(_build_log(incremental, target)["base_shop__carts"])
    (reason,) = _one_row(
        incremental, "select reject_reason from staging.base_shop__carts where cart_id = 'CA9'"
    )
    assert reason == "unknown_order", reason
    assert [(log["action"], log["rows_inserted"]) for log in carts_written[1:]] == [
        ("incremental", 0),
        ("incremental", 1),
    ], carts_written
    fresh = tmp_path / "fresh.duckdb"
    result = _build(raw, fresh, tmp_path / "target_fresh", vars)
    assert result.ok, result.output[-6000:]
    found = differences(incremental, fresh)
    assert not found, "\n".join(f"{name}: {difference}" for name, difference in found.items())


def test_moving_as_of_date_within_a_month_skips_what_does_not_read_it(tmp_path: Path) -> None:
    """A build that only moves as_of_date by a day, within its month, rebuilds
    the models that read the date and skips the others: the RFM scores and
    flags (int_customers_segmented reads no as_of_date; dim_customers
    applies it) and the cohort triangle (fct_cohort_retention reads its
    month only). The result equals a fresh build at the new date.
    """
    raw = tmp_path / "raw"
    shutil.copytree(TINY, raw)
    (raw / "carts.csv").write_text(CARTS)
    incremental = tmp_path / "incremental.duckdb"
    for name, day, warehouse in (
        ("target_1", "2024-07-01", incremental),
        ("target_2", "2024-07-02", incremental),
        ("target_fresh", "2024-07-02", tmp_path / "fresh.duckdb"),
    ):
        result = _build(raw, warehouse, tmp_path / name, {**EMPTYING_VARS, "as_of_date": day})
        assert result.ok, f"{name}:\n{result.output[-6000:]}"
    log = _build_log(incremental, tmp_path / "target_2")
    expected = {
        "int_customers_segmented": "skipped",
        "fct_cohort_retention": "skipped",
        "dim_customers": "rebuilt",
        "fct_retention_periods": "rebuilt",
    }
    actions = {name: log[name]["action"] for name in expected}
    assert actions == expected, actions
    found = differences(incremental, tmp_path / "fresh.duckdb")
    assert not found, "\n".join(f"{name}: {difference}" for name, difference in found.items())


@pytest.mark.parametrize("table", ["fx_rates", "stores"])
def test_a_table_rebuilt_with_the_same_rows_changes_nothing_downstream(
    tmp_path: Path, table: str
) -> None:
    """A rebuilt table that holds the same rows keeps its content version,
    and the models that read it are not rebuilt. Two such tables:

    - fx_rates: the FX rates staging table reads the clock, so it is
      rebuilt on every day of builds; without this, it rebuilt orders
      staging in full each morning, and the warehouse after it (every
      model that converts money reads it).
    - stores: the stores staging table is small (is_small_table). A
      stores file written again with the same rows (a daily export that
      rewrites every file) rebuilt every staging model in full, and the
      warehouse after them: 106.7 s at 10M orders instead of a build with
      no change.

    A test cannot move the clock, so both tables are rebuilt for the same
    reason: their file written again with the same content (its
    modification time is part of the raw layer's version). Only the raw
    view, the table and the two tables that read the raw views themselves
    run again.
    """
    raw = tmp_path / "raw"
    shutil.copytree(TINY, raw)
    (raw / "carts.csv").write_text(CARTS)
    (raw / "fx_rates.csv").write_text("currency,month,rate_to_usd\nEUR,2024-05-01,1.0811\n")
    warehouse = tmp_path / "incremental.duckdb"
    vars = {**EMPTYING_VARS, "as_of_date": "2024-07-01"}
    first = _build(raw, warehouse, tmp_path / "target_1", vars)
    assert first.ok, first.output[-6000:]
    compiled = _compiled_sql(tmp_path / "target_1", f"base_shop__{table}", warehouse)
    # the FX rates table reads the clock; the stores table does not, and is small
    assert ("current_date" in compiled) == (table == "fx_rates")
    before = tmp_path / "before.duckdb"
    shutil.copy(warehouse, before)
    later = time.time() + 5
    os.utime(raw / f"{table}.csv", (later, later))
    second = _build(raw, warehouse, tmp_path / "target_2", vars)
    assert second.ok, second.output[-6000:]

    log = _build_log(warehouse, tmp_path / "target_2")
    ran = {name: entry["action"] for name, entry in log.items() if entry["action"] != "skipped"}
    assert ran == {
        f"raw_{table}": "view",
        f"base_shop__{table}": "rebuilt",
        # they read the raw views, whose version holds the files' times
        "stg_shop__raw_row_counts": "rebuilt",
        "stg_shop__rejects": "rebuilt",
    }, ran
    found = differences(warehouse, before)
    assert not found, "\n".join(f"{name}: {difference}" for name, difference in found.items())
