"""Bad-input corpus: each case is the tiny dataset broken in exactly one way.

`write_corpus(directory)` materialises every case as a folder of raw files;
`CASES` says what must happen to each: the build stops with a message that
contains the given fragments (file, column or row) (`error`); or every model
is built with the given rejects per (raw_table, reason), the given number of
orders in fct_orders and the given rows of the `checks` queries, and dbt
either exits 0 or fails a data test whose output contains the `fails`
fragments: a raw table with more than `max_rejected_share` (default 0.05)
rejected rows, or no accepted order, fails the build on purpose. Regenerate
the committed folder with `python -m retention.tests.corpus.cases retention/tests/data/corpus`.

The row-level cases (`groupable`: the tiny dataset's files with their
headers, bad rows or values only, no vars, no error expected) are built
together: `combine_cases` writes them as one raw folder, each raw table a
folder of one file per case, each case in stores of its own. A dbt build
costs about 10 CPU seconds whatever the size of the data; the cases' rows
do not interact (every key, rate and check is per store or per row).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny"
TINY_ORDERS = 9  # every order of the tiny dataset is valid and dated <= as_of_date


@dataclass(frozen=True)
class Case:
    name: str
    breaks: str
    mutate: Callable[[Path], None]
    error: tuple[str, ...] = ()
    rejects: dict[str, int] = field(default_factory=dict)
    orders: int | None = TINY_ORDERS
    fails: tuple[str, ...] = ()
    vars: dict[str, object] = field(default_factory=dict)
    # (SQL, expected rows with every value as text, None as null)
    checks: tuple[tuple[str, list[list[str | None]]], ...] = ()
    # marts built in addition to fct_orders (with their parents), for the checks
    marts: tuple[str, ...] = ()


# the dbt data test that fails a build whose raw table has too many rejects;
# one bad row among the nine tiny orders is 10 %, above the default 5 %
TOO_MANY_REJECTS = ("assert_rejected_share_within_limit", "Rejected share above max_rejected_share")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _append(name: str, *rows: str) -> Callable[[Path], None]:
    def mutate(raw: Path) -> None:
        _write(raw / name, _lines(raw / name) + list(rows))

    return mutate


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(raw: Path) -> None:
        text = (raw / name).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        (raw / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def _drop_column(name: str, column: str) -> Callable[[Path], None]:
    def mutate(raw: Path) -> None:
        rows = [line.split(",") for line in _lines(raw / name)]
        index = rows[0].index(column)
        _write(raw / name, [",".join(v for i, v in enumerate(r) if i != index) for r in rows])

    return mutate


def _extra_column(raw: Path) -> None:
    lines = _lines(raw / "orders.csv")
    _write(raw / "orders.csv", [lines[0] + ",note"] + [line + ",hello" for line in lines[1:]])


def _semicolons(raw: Path) -> None:
    _write(raw / "orders.csv", [line.replace(",", ";") for line in _lines(raw / "orders.csv")])


def _latin1(raw: Path) -> None:
    text = (raw / "orders.csv").read_text(encoding="utf-8").replace("SAVE10", "CAFÉ10")
    (raw / "orders.csv").write_bytes(text.encode("latin-1"))


def _empty(raw: Path) -> None:
    (raw / "orders.csv").write_bytes(b"")


def _header_only(raw: Path) -> None:
    _write(raw / "orders.csv", _lines(raw / "orders.csv")[:1])
    for name in ("refunds.csv", "carts.csv"):
        (raw / name).unlink()


def _parquet_wrong_types(raw: Path) -> None:
    """orders.parquet whose amounts are text and one amount is not a number."""
    lines = _lines(raw / "orders.csv")
    header = lines[0].split(",")
    columns: dict[str, list[str | None]] = {name: [] for name in header}
    for line in lines[1:]:
        for name, value in zip(header, line.split(","), strict=True):
            columns[name].append(value or None)
    columns["subtotal_amount"][0] = "one hundred"
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    (raw / "orders.csv").unlink()
    pq.write_table(table, raw / "orders.parquet")


def _both_formats(raw: Path) -> None:
    shutil.copy(raw / "stores.csv", raw / "stores.parquet")


def _duplicate_equal(raw: Path) -> None:
    lines = _lines(raw / "orders.csv")
    _write(raw / "orders.csv", [*lines, lines[1]])


def _duplicate_different(raw: Path) -> None:
    lines = _lines(raw / "orders.csv")
    _write(raw / "orders.csv", [*lines, lines[1].replace("100.00", "101.00")])


def _mixed_case(raw: Path) -> None:
    text = (raw / "orders.csv").read_text(encoding="utf-8")
    text = text.replace(",completed,", ",COMPLETED,").replace(",USD,", ",usd,")
    (raw / "orders.csv").write_text(text.replace(",desktop,", ",Desktop,"), encoding="utf-8")


def _whitespace(raw: Path) -> None:
    header, *rows = _lines(raw / "orders.csv")
    padded = [
        ",".join(f"  {value} " if value else value for value in row.split(",")) for row in rows
    ]
    _write(raw / "orders.csv", [header, *padded])


def _duplicate_header(raw: Path) -> None:
    """The last column is headed `order_id` a second time."""
    lines = _lines(raw / "orders.csv")
    _write(raw / "orders.csv", [lines[0].replace(",discount_code", ",order_id"), *lines[1:]])


def _file_and_folder(raw: Path) -> None:
    (raw / "orders").mkdir()
    shutil.copy(raw / "orders.csv", raw / "orders" / "2024-01.csv")


def _folder_odd_header(raw: Path) -> None:
    header, *rows = _lines(raw / "orders.csv")
    (raw / "orders").mkdir()
    _write(raw / "orders" / "2024-01.csv", [header, *rows[:4]])
    # the second export lacks the channel column
    odd = [",".join(v for i, v in enumerate(r.split(",")) if i != 10) for r in [header, *rows[4:]]]
    _write(raw / "orders" / "2024-02.csv", odd)
    (raw / "orders.csv").unlink()


def _ragged_rows(raw: Path) -> None:
    _write(
        raw / "orders.csv",
        [
            *_lines(raw / "orders.csv"),
            # too few fields (the row stops after status), then too many
            "X1,S1,C1,2024-01-20 10:00:00,completed",
            ORDER.format(id="X2", subtotal="10") + ",surplus,fields",
        ],
    )


REAL_WORLD_ORDERS = (
    # Shopify's export shape, ISO with Z, a +0200 offset with fractions, a date only
    "T1,S1,C7,2024-03-07 09:50:26 +0200,completed,USD,10.00,0,0,0,web,desktop,",
    "T2,S1,C7,2024-03-07T09:50:26Z,completed,USD,10.00,0,0,0,web,desktop,",
    "T3,S1,C7,2024-03-07T09:50:26.5+0200,completed,USD,10.00,0,0,0,web,desktop,",
    "T4,S1,C7,2024-03-07,completed,USD,10.00,0,0,0,web,desktop,",
    # a slash date is never guessed (var slash_date_order defaults to none)
    "T5,S1,C7,07/03/2024 10:00,completed,USD,10.00,0,0,0,web,desktop,",
    # 2099 in a foreign currency: the date problem comes first
    "T6,S1,C7,2099-01-01 10:00:00,completed,EUR,10.00,0,0,0,web,desktop,",
    # 1997 in the reporting currency needs no rate; in EUR it has none
    "T7,S1,C8,1997-03-01 10:00:00,completed,USD,10.00,0,0,0,web,desktop,",
    "T8,S1,C8,1997-03-01 10:00:00,completed,EUR,10.00,0,0,0,web,desktop,",
    # build_date 2024-06-30: the end of July 1st (UTC) is the last valid instant
    "T9,S1,C9,2024-07-02 00:00:00,completed,USD,10.00,0,0,0,web,desktop,",
    "T10,S1,C9,2024-07-01 23:00:00,completed,USD,10.00,0,0,0,web,desktop,",
)

ZONED_STORES = (
    "S3,Berlin Vinyl, Music ,EUR,DE,Europe/Berlin",
    "S4,Tonga Shop,grocery,USD,TO,Pacific/Tongatapu",
    "S5,Aloha Shop,fashion,USD,US,Pacific/Honolulu",
    "S6,Lost Shop,fashion,USD,US,Mars/Olympus_Mons",
)

ZONED_ORDERS = (
    # Berlin 00:30 on February 1st (CET, +01:00)
    "Z1,S3,B1,2024-01-31T23:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    # Berlin DST starts 2024-03-31 02:00: 00:30 CET on the 31st, 00:30 CEST on April 1st
    "Z2,S3,B1,2024-03-30T23:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    "Z3,S3,B1,2024-03-31T22:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    # Tongatapu +13:00: 00:30 on February 1st
    "Z4,S4,T1,2024-01-31T11:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    # Honolulu -10:00: 23:30 on January 31st
    "Z5,S5,H1,2024-02-01T09:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    # no stores row: UTC and unclassified; a rejected stores row: the same
    "Z6,S7,N1,2024-02-01T00:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
    "Z7,S6,L1,2024-02-01T00:30:00Z,completed,USD,10.00,0,0,0,web,desktop,",
)


def _real_world_orders(raw: Path) -> None:
    _write(raw / "orders.csv", [*_lines(raw / "orders.csv"), *REAL_WORLD_ORDERS])


def _zoned_stores(raw: Path) -> None:
    _write(raw / "stores.csv", [*_lines(raw / "stores.csv"), *ZONED_STORES])
    _write(raw / "orders.csv", [*_lines(raw / "orders.csv"), *ZONED_ORDERS])


def _gzip(path: Path, lines: list[str], newline: str = "\n", bom: bool = False) -> None:
    data = ("\ufeff" if bom else "") + newline.join(lines) + newline
    # mtime=0: the same bytes on every run (the committed corpus is compared byte for byte)
    path.write_bytes(gzip.compress(data.encode("utf-8"), mtime=0))


def _daily_gzip_folder(raw: Path) -> None:
    """orders/ holds three exports (two gzip, one BOM + CRLF CSV) of the tiny
    orders plus three rows: a ragged one, a 1997 EUR order priced by the
    user's fx_rates.csv and a day-first slash date; naive timestamps are
    store-local (vars)."""
    header, *rows = _lines(raw / "orders.csv")
    by_id = {row.split(",")[0]: row for row in rows}
    (raw / "orders").mkdir()
    _gzip(raw / "orders" / "2024-01-05.csv.gz", [header, by_id["O1"], by_id["O2"]])
    february = "\r\n".join([header, by_id["O4"], by_id["O5"], by_id["O7"]]) + "\r\n"
    (raw / "orders" / "2024-02.csv").write_bytes(("\ufeff" + february).encode("utf-8"))
    rest = [by_id[name] for name in ("O3", "O6", "O8", "O9")]
    extra = [
        "F0,S1,C5,2024-03-01 10:00:00,completed",
        "F1,S2,C6,1997-03-01 10:00:00,completed,EUR,10.00,0,0,0,web,desktop,",
        "F2,S1,C6,07/03/2024 10:00,completed,USD,10.00,0,0,0,web,desktop,",
    ]
    _gzip(raw / "orders" / "rest.csv.gz", [header, *rest, *extra])
    (raw / "orders" / "README.txt").write_text("not a raw file: ignored\n", encoding="utf-8")
    (raw / "orders.csv").unlink()
    _write(
        raw / "fx_rates.csv",
        [
            "currency,month,rate_to_usd",
            # extends the seed (which starts in 2015)
            "EUR,1997-03-01,1.10",
            # overrides the seed's 1.08
            "EUR,2024-02-01,2.00",
        ],
    )


def _usd_history_rows() -> list[str]:
    """50 orders of 20 customers in 1997-1998, US dollars, one store."""
    rng = random.Random(1997)
    rows = []
    for number in range(1, 51):
        customer = f"K{rng.randint(1, 20):02d}"
        at = date(1997, 1, 1) + timedelta(days=rng.randint(0, 729))
        amount = rng.randint(5, 90)
        rows.append(f"A{number:03d},CD,{customer},{at} 12:00:00,completed,USD,{amount}.00")
    return rows


def _usd_1990s_history(raw: Path) -> None:
    for path in raw.iterdir():
        path.unlink()
    header = "order_id,store_id,customer_id,ordered_at,status,currency,subtotal_amount"
    _write(raw / "orders.csv", [header, *_usd_history_rows()])


def _usd_history_cohorts() -> list[list[str | None]]:
    """Cohort sizes computed here, independently of the warehouse."""
    first: dict[str, str] = {}
    for row in _usd_history_rows():
        _, _, customer, at, *_ = row.split(",")
        first[customer] = min(first.get(customer, at), at)
    sizes: dict[str, int] = {}
    for at in first.values():
        month = at[:7] + "-01"
        sizes[month] = sizes.get(month, 0) + 1
    return [[month, str(size)] for month, size in sorted(sizes.items())]


def _foreign_currency_without_rates(raw: Path) -> None:
    header = _lines(raw / "orders.csv")[0]
    rows = [
        row.replace(",CD,", ",EU,").replace(",USD,", ",EUR,") + ",0,0,0,web,desktop,"
        for row in _usd_history_rows()[:5]
    ]
    _write(raw / "orders.csv", [header, *rows])
    for name in ("refunds.csv", "customers.csv", "stores.csv", "carts.csv"):
        (raw / name).unlink()


ORDER = "{id},S1,C1,2024-01-20 10:00:00,completed,USD,{subtotal},0,0,0,web,desktop,"

CASES: tuple[Case, ...] = (
    Case(
        "missing_required_column",
        "orders.csv has no `status` column",
        _drop_column("orders.csv", "status"),
        error=("orders.csv' lacks required column(s): status",),
    ),
    Case("extra_columns", "orders.csv has an extra `note` column", _extra_column),
    Case(
        "wrong_delimiter",
        "orders.csv is separated by semicolons",
        _semicolons,
        error=("orders.csv' lacks required column(s)", "delimiter"),
    ),
    Case(
        "wrong_encoding",
        "orders.csv is Latin-1, not UTF-8",
        _latin1,
        error=("raw_orders", "not utf-8 encoded"),
    ),
    Case("empty_file", "orders.csv has zero bytes", _empty, error=("orders.csv' is empty",)),
    Case(
        "header_only",
        "orders.csv has a header and no rows",
        _header_only,
        orders=0,
        fails=("assert_some_order_accepted", "No order was accepted"),
    ),
    Case(
        "unparseable_timestamp",
        "an order dated 'yesterday'",
        _append(
            "orders.csv",
            ORDER.format(id="X1", subtotal="10").replace("2024-01-20 10:00:00", "yesterday"),
        ),
        rejects={"orders:unparseable_timestamp": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "out_of_range_timestamp",
        "an order dated 1899 and one in 2999",
        _append(
            "orders.csv",
            ORDER.format(id="X1", subtotal="10").replace("2024", "1899"),
            ORDER.format(id="X2", subtotal="10").replace("2024", "2999"),
        ),
        rejects={"orders:out_of_range_timestamp": 2},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "negative_amount",
        "an order with a negative subtotal",
        _append("orders.csv", ORDER.format(id="X1", subtotal="-10.00")),
        rejects={"orders:negative_amount": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "absurd_amount",
        "an order of 5 billion and one of 1e30",
        _append(
            "orders.csv",
            ORDER.format(id="X1", subtotal="5000000000.00"),
            ORDER.format(id="X2", subtotal="1e30"),
        ),
        rejects={"orders:implausible_amount": 1, "orders:invalid_amount": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "duplicate_order_equal",
        "an order row repeated verbatim",
        _duplicate_equal,
        rejects={"orders:duplicate_order_id": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "duplicate_order_different",
        "two versions of one order",
        _duplicate_different,
        rejects={"orders:conflicting_duplicate_order_id": 2},
        fails=TOO_MANY_REJECTS,
        orders=TINY_ORDERS - 1,
    ),
    Case(
        "unknown_status",
        "an order with status 'shipped'",
        _append("orders.csv", ORDER.format(id="X1", subtotal="10").replace("completed", "shipped")),
        rejects={"orders:unknown_status": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "unknown_currency",
        "an order in 'XXX'",
        _append("orders.csv", ORDER.format(id="X1", subtotal="10").replace("USD", "XXX")),
        rejects={"orders:unknown_currency": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "null_keys",
        "orders without order_id and without store_id",
        _append(
            "orders.csv",
            ORDER.format(id="", subtotal="10"),
            ORDER.format(id="X2", subtotal="10").replace(",S1,", ",,"),
        ),
        rejects={"orders:missing_key": 2},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "refund_unknown_order",
        "a refund for an order that does not exist",
        _append("refunds.csv", "R9,S1,NOPE,2024-03-15 10:00:00,5.00"),
        rejects={"refunds:unknown_order": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "refund_larger_than_order",
        "a second refund that exceeds what is left of O3",
        _append("refunds.csv", "R9,S1,O3,2024-03-16 10:00:00,60.00"),
        rejects={"refunds:refund_exceeds_order": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "cart_missing_order",
        "a cart pointing to an order that does not exist",
        _append("carts.csv", "K9,S1,C1,2024-01-05 09:00:00,10.00,NOPE"),
        rejects={"carts:unknown_order": 1},
        fails=TOO_MANY_REJECTS,
    ),
    Case(
        "duplicate_customers",
        "a customer listed twice with different e-mails",
        _append("customers.csv", "S1,C1,2024-01-01 09:00:00,other@mail.test,US,true,"),
        rejects={"customers:conflicting_duplicate_customer": 2},
        fails=TOO_MANY_REJECTS,
    ),
    Case("mixed_case_codes", "COMPLETED, usd, Desktop", _mixed_case),
    Case("whitespace", "every value padded with spaces", _whitespace),
    Case(
        "parquet_wrong_types",
        "orders.parquet with text amounts, one not a number",
        _parquet_wrong_types,
        rejects={"orders:invalid_amount": 1},
        fails=TOO_MANY_REJECTS,
        orders=TINY_ORDERS - 1,
    ),
    Case(
        "csv_and_parquet",
        "stores.csv and stores.parquet both present",
        _both_formats,
        error=("stores.csv", "stores.parquet", "keep one file per raw table"),
    ),
    Case(
        "duplicate_header_column",
        "orders.csv names `order_id` twice in its header",
        _duplicate_header,
        error=("orders.csv' names the column 'order_id' twice",),
    ),
    Case(
        "file_and_folder",
        "orders.csv and a folder orders/ both present",
        _file_and_folder,
        error=("orders.csv and", "/orders exist: keep one file per raw table"),
    ),
    Case(
        "folder_odd_header",
        "orders/ holds two exports, the second without the channel column",
        _folder_odd_header,
        error=(
            "orders/2024-02.csv' has the columns",
            "Every file of a raw table must have the same header",
        ),
    ),
    Case(
        "ragged_rows",
        "one order row with too few fields, one with too many",
        _ragged_rows,
        rejects={"orders:wrong_field_count": 2},
        fails=TOO_MANY_REJECTS,
        checks=(
            (
                "select source_row_number, reject_reason from staging.stg_shop__rejects order by 1",
                [["10", "wrong_field_count"], ["11", "wrong_field_count"]],
            ),
        ),
    ),
    Case(
        "real_world_orders",
        "timestamp shapes of real exports, a 2099 order, 1997 orders, future orders",
        _real_world_orders,
        vars={"build_date": "2024-06-30"},
        rejects={
            "orders:unparseable_timestamp": 1,
            "orders:out_of_range_timestamp": 2,
            "orders:missing_fx_rate": 1,
        },
        orders=TINY_ORDERS + 6,
        fails=(*TOO_MANY_REJECTS, "missing exchange rates (currency month): EUR 1997-03"),
        checks=(
            (
                "select record_key, reject_reason from staging.stg_shop__rejects order by 1",
                [
                    ["S1|T5", "unparseable_timestamp"],
                    ["S1|T6", "out_of_range_timestamp"],
                    ["S1|T8", "missing_fx_rate"],
                    ["S1|T9", "out_of_range_timestamp"],
                ],
            ),
            (
                # ordered_at in UTC; order_date in the store's zone (S1: New York)
                "select order_id, cast(ordered_at as varchar), cast(order_date as varchar),"
                " cast(net_revenue as varchar) from marts.fct_orders"
                " where order_id like 'T%' order by 1",
                [
                    ["T1", "2024-03-07 07:50:26", "2024-03-07", "10.00"],
                    ["T10", "2024-07-01 23:00:00", "2024-07-01", "10.00"],
                    ["T2", "2024-03-07 09:50:26", "2024-03-07", "10.00"],
                    ["T3", "2024-03-07 07:50:26.5", "2024-03-07", "10.00"],
                    ["T4", "2024-03-07 00:00:00", "2024-03-06", "10.00"],
                    ["T7", "1997-03-01 10:00:00", "1997-03-01", "10.00"],
                ],
            ),
        ),
    ),
    Case(
        "store_time_zones_and_segments",
        "stores in Berlin, Tongatapu, Honolulu, an unknown zone, a `music` segment",
        _zoned_stores,
        rejects={"stores:unknown_timezone": 1},
        orders=TINY_ORDERS + 7,
        marts=("dim_customers", "rpt_retention_by_industry"),
        fails=(*TOO_MANY_REJECTS, "not in seeds/industry_segments.csv", "music"),
        checks=(
            (
                "select order_id, cast(order_date as varchar), cast(cohort_month as varchar),"
                " industry_segment from marts.fct_orders where order_id like 'Z%' order by 1",
                [
                    ["Z1", "2024-02-01", "2024-02-01", "music"],
                    ["Z2", "2024-03-31", "2024-02-01", "music"],
                    ["Z3", "2024-04-01", "2024-02-01", "music"],
                    ["Z4", "2024-02-01", "2024-02-01", "grocery"],
                    ["Z5", "2024-01-31", "2024-01-01", "fashion"],
                    ["Z6", "2024-02-01", "2024-02-01", "unclassified"],
                    ["Z7", "2024-02-01", "2024-02-01", "unclassified"],
                ],
            ),
            (
                "select industry_segment, cast(cohort_month as varchar) from marts.dim_customers"
                " where store_id = 'S3'",
                [["music", "2024-02-01"]],
            ),
            (
                "select distinct industry_segment, benchmark_retention_rate"
                " from marts.rpt_retention_by_industry where industry_segment = 'music'",
                [["music", None]],
            ),
        ),
    ),
    Case(
        "daily_gzip_folder",
        "orders/ as three daily exports (gzip, BOM + CRLF), own fx_rates.csv, "
        "store-local naive times, day-first slash dates, one ragged row",
        _daily_gzip_folder,
        vars={
            "max_rejected_share": 0.1,
            "naive_timestamps_are_store_local": True,
            "slash_date_order": "day_first",
        },
        rejects={"orders:wrong_field_count": 1},
        orders=TINY_ORDERS + 2,
        checks=(
            (
                "select regexp_extract(source_file, '[^/]+$'), source_row_number, reject_reason"
                " from staging.stg_shop__rejects",
                [["rest.csv.gz", "5", "wrong_field_count"]],
            ),
            (
                "select regexp_extract(_source_file, '[^/]+$'), count(*),"
                " string_agg(order_id || '@' || _source_row_number, ' '"
                " order by _source_row_number)"
                " from staging.base_shop__orders group by 1 order by 1",
                [
                    ["2024-01-05.csv.gz", "2", "O1@1 O2@2"],
                    ["2024-02.csv", "3", "O4@1 O5@2 O7@3"],
                    ["rest.csv.gz", "7", "O3@1 O6@2 O8@3 O9@4 F0@5 F1@6 F2@7"],
                ],
            ),
            (
                # naive times are New York (S1) / Berlin (S2) wall-clock times;
                # O8 carries its own offset; F1 and O7 use the user's EUR rates
                "select order_id, cast(ordered_at as varchar), cast(order_date as varchar),"
                " cast(net_revenue as varchar) from marts.fct_orders"
                " where order_id in ('O1', 'O6', 'O7', 'O8', 'F1', 'F2') order by 1",
                [
                    ["F1", "1997-03-01 09:00:00", "1997-03-01", "11.00"],
                    ["F2", "2024-03-07 15:00:00", "2024-03-07", "10.00"],
                    ["O1", "2024-01-05 15:00:00", "2024-01-05", "90.00"],
                    ["O6", "2024-04-01 04:00:00", "2024-04-01", "25.00"],
                    ["O7", "2024-02-10 14:00:00", "2024-02-10", "160.00"],
                    ["O8", "2024-05-20 09:00:00", "2024-05-20", "64.00"],
                ],
            ),
        ),
    ),
    Case(
        "usd_1990s_history",
        "50 orders of 1997-1998 in US dollars, no stores file (the FX seed starts in 2015)",
        _usd_1990s_history,
        orders=50,
        marts=("fct_cohort_retention",),
        checks=(
            (
                "select cast(cohort_month as varchar), cohort_size from marts.fct_cohort_retention"
                " where months_since_first_order = 0 order by 1",
                _usd_history_cohorts(),
            ),
            (
                "select distinct industry_segment, cast(min(order_date) over () as varchar)"
                " from marts.fct_orders",
                [["unclassified", min(r.split(",")[3] for r in _usd_history_rows())[:10]]],
            ),
        ),
    ),
    Case(
        "foreign_currency_without_rates",
        "every order is in EUR in 1997: no rate, nothing accepted",
        _foreign_currency_without_rates,
        rejects={"orders:missing_fx_rate": 5},
        orders=0,
        fails=(
            "assert_some_order_accepted",
            "No order was accepted",
            "orders: missing_fx_rate 5 rows (100.0% of the table)",
            "fx_rates.csv",
        ),
    ),
)


def _carts_file(raw: Path) -> None:
    _write(
        raw / "carts.csv",
        [
            "cart_id,store_id,customer_id,created_at,cart_value,order_id",
            "K1,S1,C1,2024-01-05 18:20:00,50.00,O2",
        ],
    )


def _reference_headers() -> dict[str, str]:
    """File name -> header line of every raw file a case folder starts from."""
    headers = {path.name: _lines(path)[0] for path in TINY.glob("*.csv")}
    headers["carts.csv"] = "cart_id,store_id,customer_id,created_at,cart_value,order_id"
    return headers


def groupable(folder: Path, expected: Mapping[str, object]) -> bool:
    """True for a case whose build can be shared with other cases: no error,
    vars or extra marts expected, at most the too-many-rejects failure, and
    the reference files (no other) with their headers, unquoted."""
    if expected["error"] or expected["vars"] or expected["marts"]:
        return False
    if expected["fails"] not in ([], list(TOO_MANY_REJECTS)):
        return False
    headers = _reference_headers()
    files = {path.name: path for path in folder.iterdir()}
    if files.keys() != headers.keys() or not all(path.is_file() for path in files.values()):
        return False
    return all(
        _lines(path)[0] == headers[name] and '"' not in path.read_text(encoding="utf-8")
        for name, path in files.items()
    )


def store_prefix(case: str) -> str:
    """What `combine_cases` puts before each store id of `case`."""
    return f"{case}."


def combine_cases(corpus: Path, cases: Sequence[str], directory: Path) -> Path:
    """One raw folder holding the cases `cases` (groupable folders of `corpus`):
    `<table>/<case>.csv` for each raw table, each store id `s` of a case
    written as store_prefix(case) + s (its padding kept, empty ids left empty)."""
    directory.mkdir(parents=True)
    for case in cases:
        for path in sorted((corpus / case).glob("*.csv")):
            header, *rows = _lines(path)
            column = header.split(",").index("store_id")
            renamed = [header]
            for row in rows:
                values = row.split(",")
                if column < len(values) and values[column].strip():
                    store = values[column].strip()
                    values[column] = values[column].replace(store, store_prefix(case) + store, 1)
                renamed.append(",".join(values))
            table = directory / path.stem
            table.mkdir(exist_ok=True)
            _write(table / f"{case}.csv", renamed)
    return directory


def case_of_file(source_file: str) -> str:
    """The case whose rows a file of a combined folder holds."""
    return os.path.basename(source_file).removesuffix(".csv")


def write_corpus(directory: Path) -> None:
    """Write one folder per case under `directory` plus cases.json."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    manifest = {}
    for case in CASES:
        raw = directory / case.name
        shutil.copytree(TINY, raw, ignore=shutil.ignore_patterns("*.md"))
        _carts_file(raw)
        case.mutate(raw)
        manifest[case.name] = {
            "breaks": case.breaks,
            "error": list(case.error),
            "rejects": case.rejects,
            "orders": case.orders,
            "fails": list(case.fails),
            "vars": case.vars,
            "checks": [[sql, rows] for sql, rows in case.checks],
            "marts": [f"+{name}" for name in case.marts],
        }
    (directory / "cases.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    write_corpus(Path(sys.argv[1]))
