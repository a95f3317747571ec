"""Tests of the synthetic raw-data generator (retention.generate)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from retention.generate import generate
from retention.generate.cli import main
from retention.generate.schema import TABLE_NAMES

# fmt: off
CONTRACT_COLUMNS: dict[str, list[str]] = {
    "orders": [
        "order_id", "store_id", "customer_id", "ordered_at", "status", "currency",
        "subtotal_amount", "discount_amount", "shipping_amount", "tax_amount", "channel",
        "device", "discount_code",
    ],
    "stores": [
        "store_id", "store_name", "industry_segment", "currency", "country_code", "timezone",
    ],
    "customers": [
        "store_id", "customer_id", "created_at", "email", "country_code", "accepts_marketing",
        "loyalty_member_since",
    ],
    "refunds": ["refund_id", "store_id", "order_id", "refunded_at", "amount"],
    "carts": ["cart_id", "store_id", "customer_id", "created_at", "cart_value", "order_id"],
    "marketing_spend": ["store_id", "month", "channel", "spend_amount", "currency"],
}
# fmt: on
TIMESTAMP_COLUMNS = {
    "orders": ["ordered_at"],
    "customers": ["created_at", "loyalty_member_since"],
    "refunds": ["refunded_at"],
    "carts": ["created_at"],
}
MONEY_COLUMNS = {
    "orders": ["subtotal_amount", "discount_amount", "shipping_amount", "tax_amount"],
    "refunds": ["amount"],
    "carts": ["cart_value"],
    "marketing_spend": ["spend_amount"],
}
ORDERS, STORES, SEED = 30_000, 12, 11
START, END = date(2022, 1, 1), date(2024, 12, 31)


def _connect(directory: Path, ext: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name in TABLE_NAMES:
        reader = "read_parquet" if ext == "parquet" else "read_csv"
        con.execute(f"create view {name} as select * from {reader}('{directory}/{name}.{ext}')")
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _digests(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet")
    generate(
        out,
        orders=ORDERS,
        stores=STORES,
        seed=SEED,
        fmt="parquet",
        start=START,
        end=END,
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("csv")
    argv = [
        "--orders",
        str(ORDERS),
        "--stores",
        str(STORES),
        "--seed",
        str(SEED),
        "--format",
        "csv",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    return out


@pytest.fixture(scope="module")
def con(parquet_dir: Path) -> duckdb.DuckDBPyConnection:
    return _connect(parquet_dir, "parquet")


def test_same_arguments_give_identical_files(tmp_path: Path) -> None:
    kwargs = {
        "orders": 4_000,
        "stores": 5,
        "fmt": "parquet",
        "start": START,
        "end": END,
        "progress": False,
    }
    generate(tmp_path / "a", seed=3, **kwargs)  # type: ignore[arg-type]
    generate(tmp_path / "b", seed=3, **kwargs)  # type: ignore[arg-type]
    generate(tmp_path / "c", seed=4, **kwargs)  # type: ignore[arg-type]
    a, b, c = (_digests(tmp_path / x) for x in "abc")
    assert sorted(a) == sorted(f"{n}.parquet" for n in TABLE_NAMES)
    assert a == b
    assert a["orders.parquet"] != c["orders.parquet"]
    assert a["customers.parquet"] != c["customers.parquet"]


def test_csv_and_parquet_hold_the_same_rows(parquet_dir: Path, csv_dir: Path) -> None:
    pq_con, csv_con = _connect(parquet_dir, "parquet"), _connect(csv_dir, "csv")
    sql = (
        "select count(*), sum(subtotal_amount)::decimal(18,2), count(customer_id), "
        "min(ordered_at), max(ordered_at), count(discount_code) from orders"
    )
    assert pq_con.execute(sql).fetchall() == csv_con.execute(sql).fetchall()
    for name in TABLE_NAMES:
        n = f"select count(*) from {name}"
        assert _scalar(pq_con, n) == _scalar(csv_con, n), name


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_columns_follow_the_contract(fmt: str, parquet_dir: Path, csv_dir: Path) -> None:
    directory = parquet_dir if fmt == "parquet" else csv_dir
    db = _connect(directory, fmt)
    if fmt == "csv":
        for name, expected in CONTRACT_COLUMNS.items():
            with (directory / f"{name}.csv").open(encoding="utf-8") as f:
                assert f.readline().rstrip("\n") == ",".join(expected), name
    for name, expected in CONTRACT_COLUMNS.items():
        described = db.execute(f"describe {name}").fetchall()
        assert [row[0] for row in described] == expected, name
        types = {row[0]: row[1] for row in described}
        for column in TIMESTAMP_COLUMNS.get(name, []):
            assert types[column] == "TIMESTAMP", (name, column)
        for column in MONEY_COLUMNS.get(name, []):
            assert types[column].startswith(("DECIMAL", "DOUBLE")), (name, column)
    assert db.execute("describe marketing_spend").fetchall()[1][1] == "DATE"
    assert db.execute("describe customers").fetchall()[5][1] == "BOOLEAN"


def test_order_count_within_two_percent(con: duckdb.DuckDBPyConnection) -> None:
    n = _scalar(con, "select count(*) from orders")
    assert isinstance(n, int)
    assert abs(n - ORDERS) <= 0.02 * ORDERS


def test_segments_have_different_repeat_behaviour(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        """select s.industry_segment,
                  count(o.customer_id) / count(distinct o.customer_id) as orders_per_customer
           from orders o join stores s using (store_id)
           group by 1"""
    ).fetchall()
    per_segment = dict(rows)
    assert len(per_segment) >= 8
    assert per_segment["grocery"] > 3 * per_segment["home_furniture"]


def test_desktop_orders_are_larger_than_mobile(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select device, avg(subtotal_amount) from orders where currency = 'USD' group by 1"
    ).fetchall()
    aov = dict(rows)
    assert aov["desktop"] > 1.1 * aov["mobile"]


def test_statuses_guests_and_currencies(con: duckdb.DuckDBPyConnection) -> None:
    statuses = {r[0] for r in con.execute("select distinct status from orders").fetchall()}
    assert statuses == {"completed", "cancelled", "refunded", "pending"}
    guests = _scalar(con, "select avg((customer_id is null)::int) from orders")
    assert isinstance(guests, float)
    assert 0.03 < guests < 0.08
    assert _scalar(con, "select count(distinct currency) from orders") >= 3  # type: ignore[operator]
    assert _scalar(con, "select count(distinct currency) from stores") >= 3  # type: ignore[operator]
    assert _scalar(con, "select count(*) from orders where subtotal_amount < 0") == 0


def test_ids_are_unique_within_a_store(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in [
        ("orders", "order_id"),
        ("customers", "customer_id"),
        ("carts", "cart_id"),
        ("refunds", "refund_id"),
    ]:
        dupes = _scalar(con, f"select count(*) - count(distinct (store_id, {key})) from {table}")
        assert dupes == 0, table
    assert _scalar(con, "select count(distinct (store_id, email)) - count(*) from customers") == 0


def test_references_resolve(con: duckdb.DuckDBPyConnection) -> None:
    orphan_refunds = _scalar(
        con, "select count(*) from refunds r anti join orders o using (store_id, order_id)"
    )
    orphan_carts = _scalar(
        con,
        "select count(*) from carts c anti join orders o using (store_id, order_id) "
        "where c.order_id is not null",
    )
    orphan_customers = _scalar(
        con,
        "select count(*) from orders o anti join customers c using (store_id, customer_id) "
        "where o.customer_id is not null",
    )
    unknown_stores = _scalar(
        con, "select count(*) from orders o anti join stores s using (store_id)"
    )
    assert (orphan_refunds, orphan_carts, orphan_customers, unknown_stores) == (0, 0, 0, 0)


def test_refunds_never_exceed_net_amount(con: duckdb.DuckDBPyConnection) -> None:
    over = _scalar(
        con,
        """select count(*) from (
               select store_id, order_id, sum(amount) as refunded from refunds group by all
           ) r join orders o using (store_id, order_id)
           where r.refunded > o.subtotal_amount - o.discount_amount""",
    )
    assert over == 0
    assert _scalar(con, "select min(amount) from refunds") > 0  # type: ignore[operator]
    late = _scalar(
        con,
        "select count(*) from refunds r join orders o using (store_id, order_id) "
        "where r.refunded_at < o.ordered_at",
    )
    assert late == 0
    unrefunded = _scalar(
        con,
        "select count(*) from orders o anti join refunds r using (store_id, order_id) "
        "where o.status = 'refunded'",
    )
    assert unrefunded == 0


def test_customers_created_before_first_order(con: duckdb.DuckDBPyConnection) -> None:
    bad = _scalar(
        con,
        """select count(*) from customers c join (
               select store_id, customer_id, min(ordered_at) as first_at from orders
               where customer_id is not null group by all
           ) f using (store_id, customer_id) where c.created_at > f.first_at""",
    )
    assert bad == 0
    never = _scalar(
        con, "select count(*) from customers c anti join orders o using (store_id, customer_id)"
    )
    assert never > 0  # type: ignore[operator]


def test_marketing_spend_covers_every_store_and_month(con: duckdb.DuckDBPyConnection) -> None:
    months = (END.year - START.year) * 12 + END.month - START.month + 1
    covered = _scalar(con, "select count(distinct (store_id, month)) from marketing_spend")
    assert covered == STORES * months
    assert _scalar(con, "select min(spend_amount) from marketing_spend") > 0  # type: ignore[operator]


def test_carts_converted_and_abandoned(con: duckdb.DuckDBPyConnection) -> None:
    converted = _scalar(con, "select count(order_id) from carts")
    abandoned = _scalar(con, "select count(*) from carts where order_id is null")
    orders = _scalar(con, "select count(*) from orders")
    assert isinstance(converted, int) and isinstance(orders, int)
    assert 0.2 * orders < converted < 0.4 * orders
    assert abandoned > 0  # type: ignore[operator]
    after_order = _scalar(
        con,
        "select count(*) from carts c join orders o using (store_id, order_id) "
        "where c.created_at > o.ordered_at",
    )
    assert after_order == 0


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    assert main(["--orders", "3", "--stores", "5", "--out", str(tmp_path), "--quiet"]) == 2
