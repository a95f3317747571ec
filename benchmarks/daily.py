"""The one-day change: one raw folder rewritten in place, as a store's export job would.

The generator's output (``Dataset.full_dir``) is the history through day D,
its last order day. Two raw states of one folder are cut from it:

- ``before`` (the export of the evening of D-1): every row dated before D,
  with what a live shop does not know yet:
  - a completed order stays ``pending`` for 0 to 3 days after it is placed
    (its fulfilment lag, from a hash of its id): the orders still within their
    lag at the cut-off are ``pending``;
  - an order refunded later shows ``completed`` while none of its refunds is
    issued yet (the refunds dated D are absent);
  - a few orders are withheld (they arrive late): 0.5 % of the orders of the
    last 7 days, and one order in each of the months 2, 6 and 13 months
    before D (with their refunds and carts' links).
- ``after`` (the export of the evening of D, the one-day change): day D's
  orders, refunds, customers and carts appended; the orders whose lag ends
  on D completed; the refunds issued on D (their orders now ``refunded``); the
  withheld orders arriving, dated in earlier days and months; and one
  completed order in each of the months 3, 9 and 20 months before D
  cancelled (a correction of an old month).

Orders are a folder table, one Parquet file per month of ``ordered_at``
(``orders/YYYY-MM.parquet``), each in the order its rows reached the shop:
by ``ordered_at``, the late orders last (they arrived on D); the other
tables are single files, as the generator writes them, but for carts,
customers and refunds: in the order they were created, as a platform's
export by creation time or by an id it assigns in that order would give
(the generator numbers carts per customer batch and refunds per store, so
its order would put a day's carts and refunds all over the file; a filter
without an order keeps no order at all here, insertion order being off);
the refunds of the late orders last, as those orders arrived on D. A file
is rewritten only when its rows change (compared by row count and an
order-independent hash of the rows): the warehouse's change detection sees
unchanged files as unchanged.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import duckdb

State = Literal["before", "after"]
SINGLE_FILES = ("stores", "customers", "refunds", "carts", "marketing_spend")
#: months before D holding a late order, and holding a status change
LATE_MONTHS = (2, 6, 13)
CHANGED_MONTHS = (3, 9, 20)
#: the last days whose orders may arrive late, and the share that does
LATE_DAYS = 7
LATE_MODULO = 200
#: the longest fulfilment lag (days an order stays pending)
MAX_LAG_DAYS = 3


@dataclass(frozen=True)
class Written:
    """What bringing the folder to a state did to its files."""

    state: State
    rewritten: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "state": self.state,
            "rewritten": list(self.rewritten),
            "unchanged": self.unchanged,
            "removed": list(self.removed),
        }


def last_day(full: Path) -> date:
    """Day D: the last order day of the generated history."""
    with duckdb.connect() as con:
        (day,) = con.execute(
            f"select max(cast(ordered_at as date)) from '{full}/orders.parquet'"
        ).fetchone()
    return day


def _months_before(day: date, months: int) -> str:
    """'YYYY-MM' of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _marked_orders_sql(full: Path, day: date) -> str:
    """Every generated order with the flags that make the two states.

    ``late``: withheld from ``before``; ``changed``: cancelled in ``after``;
    ``first_refund``: when its first refund is issued.
    """
    late_months = ", ".join(f"'{_months_before(day, m)}'" for m in LATE_MONTHS)
    changed_months = ", ".join(f"'{_months_before(day, m)}'" for m in CHANGED_MONTHS)
    late_from = day - timedelta(days=LATE_DAYS)
    return f"""
        with refund_days as (
            select store_id, order_id, min(refunded_at) as first_refund
            from '{full}/refunds.parquet' group by all
        ),
        orders as (
            select o.*, r.first_refund, strftime(o.ordered_at, '%Y-%m') as month,
                   hash(o.order_id, o.store_id) as h
            from '{full}/orders.parquet' as o
            left join refund_days as r using (store_id, order_id)
        ),
        ranked as (
            select *,
                   row_number() over (partition by month order by h) as rank_in_month,
                   row_number() over (
                       partition by month
                       order by case when status = 'completed' and first_refund is null
                                then h end nulls last
                   ) as completed_rank_in_month
            from orders
            where month in ({late_months}, {changed_months})
        )
        select orders.*,
               (orders.ordered_at >= timestamp '{late_from}'
                and orders.ordered_at < timestamp '{day}' and orders.h % {LATE_MODULO} = 1)
               or (orders.month in ({late_months}) and ranked.rank_in_month = 1) as late,
               coalesce(orders.month in ({changed_months})
                        and ranked.completed_rank_in_month = 1
                        and orders.status = 'completed'
                        and orders.first_refund is null, false) as changed
        from orders
        left join ranked using (store_id, order_id)
    """


def _cutoff(state: State, day: date) -> date:
    """The export of ``state`` holds what happened before this midnight (UTC)."""
    return day if state == "before" else day + timedelta(days=1)


def _status_sql(state: State, day: date) -> str:
    """An order's status in the export of ``state`` (columns of the marked orders)."""
    cutoff = _cutoff(state, day)
    status = f"""case
        when status = 'refunded' and not (first_refund < timestamp '{cutoff}') then 'completed'
        when status = 'completed'
             and ordered_at + to_days(cast(h % {MAX_LAG_DAYS + 1} as integer))
                 >= timestamp '{cutoff}' then 'pending'
        else status end"""
    if state == "after":
        status = f"case when changed then 'cancelled' else {status} end"
    return status


def _in_state_sql(state: State, day: date) -> str:
    """Whether an order is in the export of ``state``."""
    withheld = " and not late" if state == "before" else ""
    return f"ordered_at < timestamp '{_cutoff(state, day)}'{withheld}"


def _orders_of_state_sql(marked: str, state: State, day: date, arrival: bool = False) -> str:
    """The orders of ``state`` from the marked orders (relation ``marked``);
    ``arrival``: with the column _arrived_late (late orders in ``after``)."""
    arrived = f", late and {state == 'after'} as _arrived_late" if arrival else ""
    return f"""
        select * exclude (first_refund, month, h, late, changed)
               replace ({_status_sql(state, day)} as status){arrived}
        from {marked}
        where {_in_state_sql(state, day)}
    """


def _fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    (count, total) = con.execute(f"select count(*), sum(hash(t)) from {relation} as t").fetchone()
    return int(count), int(total or 0)


def _write_if_changed(
    con: duckdb.DuckDBPyConnection,
    query: str,
    path: Path,
    scratch: Path,
    fingerprint: tuple[int, int] | None = None,
) -> bool:
    """Write ``query`` to ``path`` unless the file already holds exactly these rows
    (``fingerprint``: the query's, when already known).

    Written first to ``scratch`` (a folder outside the raw folder, on the same
    file system), then moved: the raw folder never holds a partial file."""
    if path.exists():
        wanted = fingerprint or _fingerprint(con, f"({query})")
        if _fingerprint(con, f"'{path}'") == wanted:
            return False
    partial = scratch / f"{path.name}.partial"
    con.execute(
        f"copy ({query}) to '{partial}' (format parquet, compression zstd, row_group_size 500000)"
    )
    os.replace(partial, path)
    return True


def write_state(full: Path, raw: Path, state: State, day: date | None = None) -> Written:
    """Bring the raw folder ``raw`` to ``state``, rewriting only the files that change."""
    day = day or last_day(full)
    cutoff = _cutoff(state, day)
    (raw / "orders").mkdir(parents=True, exist_ok=True)
    rewritten: list[str] = []
    unchanged = 0
    removed: list[str] = []
    # on disk, beside the raw folder: at 50M orders the state's orders would
    # not fit in memory comfortably
    scratch = raw.parent / f".{raw.name}.scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    con = duckdb.connect(str(scratch / "state.duckdb"))
    try:
        con.execute("set preserve_insertion_order = false")
        con.execute(f"create table marked as {_marked_orders_sql(full, day)}")
        con.execute(
            "create table state_orders as "
            f"{_orders_of_state_sql('marked', state, day, arrival=True)} "
            "order by ordered_at, store_id, order_id"
        )
        queries = {
            "stores": f"select * from '{full}/stores.parquet'",
            "marketing_spend": f"select * from '{full}/marketing_spend.parquet'",
            "customers": f"""select * from '{full}/customers.parquet'
                where created_at is null or created_at < timestamp '{cutoff}'
                order by created_at nulls first, store_id, customer_id""",
            # refunds issued by the cut-off, of the orders the state holds, in
            # the order they were issued; those of the late orders last
            "refunds": f"""select refunds.* from '{full}/refunds.parquet' as refunds
                inner join (select store_id, order_id, _arrived_late from state_orders) as o
                    using (store_id, order_id)
                where refunds.refunded_at < timestamp '{cutoff}'
                order by o._arrived_late, refunds.refunded_at,
                    refunds.store_id, refunds.refund_id""",
            # a cart converted into an order the state does not hold is still open
            "carts": f"""select carts.* replace (
                    case when o.order_id is null then null else carts.order_id end as order_id)
                from '{full}/carts.parquet' as carts
                left join (select store_id, order_id from state_orders) as o
                    using (store_id, order_id)
                where carts.created_at < timestamp '{cutoff}'
                order by carts.created_at, carts.store_id, carts.cart_id""",
        }
        for table in SINGLE_FILES:
            if not (full / f"{table}.parquet").exists():
                continue
            path = raw / f"{table}.parquet"
            if _write_if_changed(con, queries[table], path, scratch):
                rewritten.append(path.name)
            else:
                unchanged += 1
        # every month's fingerprint in one pass
        months = {
            month: (int(count), int(total))
            for month, count, total in con.execute(
                "select strftime(t.ordered_at, '%Y-%m'), count(*), sum(hash(t)) "
                "from (select * exclude (_arrived_late) from state_orders) as t "
                "group by 1 order by 1"
            ).fetchall()
        }
        for stale in sorted((raw / "orders").glob("*.parquet")):
            if stale.stem not in months:
                stale.unlink()
                removed.append(f"orders/{stale.name}")
        for month in months:
            start = date.fromisoformat(f"{month}-01")
            end = (start + timedelta(days=32)).replace(day=1)
            # in the order the rows reached the shop: a late order comes last
            query = (
                "select * exclude (_arrived_late) from state_orders "
                f"where ordered_at >= timestamp '{start}' and ordered_at < timestamp '{end}' "
                "order by _arrived_late, ordered_at, store_id, order_id"
            )
            path = raw / "orders" / f"{month}.parquet"
            if _write_if_changed(con, query, path, scratch, months[month]):
                rewritten.append(f"orders/{month}.parquet")
            else:
                unchanged += 1
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return Written(state, tuple(rewritten), unchanged, tuple(removed))


def change_facts(full: Path, day: date | None = None) -> dict[str, object]:
    """What the one-day change holds: rows appended, arriving late, changing status."""
    day = day or last_day(full)
    before, after = (
        (_in_state_sql(state, day), _status_sql(state, day)) for state in ("before", "after")
    )
    both = f"({before[0]}) and ({after[0]})"
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = false")
        found = con.execute(
            f"""
            with marked as ({_marked_orders_sql(full, day)})
            select
                count(*) filter (where {before[0]}) as orders_before,
                count(*) filter (where {after[0]}) as orders_after,
                count(*) filter (where ordered_at >= timestamp '{day}' and {after[0]})
                    as appended,
                count(*) filter (where late) as late,
                count(distinct month) filter (where late) as late_months,
                count(*) filter (where {both} and {before[1]} = 'pending'
                                 and {after[1]} <> 'pending') as completed,
                count(*) filter (where {both} and {before[1]} = 'completed'
                                 and {after[1]} = 'refunded') as refunded,
                count(*) filter (where changed) as cancelled_in_old_months,
                (select count(*) from '{full}/refunds.parquet'
                 where cast(refunded_at as date) = date '{day}') as refunds_issued
            from marked
            """
        )
        row = found.fetchone()
        names = [d[0] for d in found.description]
    facts: dict[str, object] = {name: int(value) for name, value in zip(names, row, strict=True)}
    facts["day"] = day.isoformat()
    return facts
