"""Bad-input corpus: each case is the tiny dataset broken in exactly one way.

`write_corpus(directory)` materialises every case as a folder of raw files;
`CASES` says what must happen to each: the build stops with a message that
contains the given fragments (file, column or row), or it succeeds with the
given rejects per (raw_table, reason) and the given number of orders in
fct_orders. Regenerate the committed folder with
`python -m retention.tests.corpus.cases retention/tests/data/corpus`.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
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
    Case("header_only", "orders.csv has a header and no rows", _header_only, orders=0),
    Case(
        "unparseable_timestamp",
        "an order dated 'yesterday'",
        _append(
            "orders.csv",
            ORDER.format(id="X1", subtotal="10").replace("2024-01-20 10:00:00", "yesterday"),
        ),
        rejects={"orders:unparseable_timestamp": 1},
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
    ),
    Case(
        "negative_amount",
        "an order with a negative subtotal",
        _append("orders.csv", ORDER.format(id="X1", subtotal="-10.00")),
        rejects={"orders:negative_amount": 1},
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
    ),
    Case(
        "duplicate_order_equal",
        "an order row repeated verbatim",
        _duplicate_equal,
        rejects={"orders:duplicate_order_id": 1},
    ),
    Case(
        "duplicate_order_different",
        "two versions of one order",
        _duplicate_different,
        rejects={"orders:conflicting_duplicate_order_id": 2},
        orders=TINY_ORDERS - 1,
    ),
    Case(
        "unknown_status",
        "an order with status 'shipped'",
        _append("orders.csv", ORDER.format(id="X1", subtotal="10").replace("completed", "shipped")),
        rejects={"orders:unknown_status": 1},
    ),
    Case(
        "unknown_currency",
        "an order in 'XXX'",
        _append("orders.csv", ORDER.format(id="X1", subtotal="10").replace("USD", "XXX")),
        rejects={"orders:unknown_currency": 1},
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
    ),
    Case(
        "refund_unknown_order",
        "a refund for an order that does not exist",
        _append("refunds.csv", "R9,S1,NOPE,2024-03-15 10:00:00,5.00"),
        rejects={"refunds:unknown_order": 1},
    ),
    Case(
        "refund_larger_than_order",
        "a second refund that exceeds what is left of O3",
        _append("refunds.csv", "R9,S1,O3,2024-03-16 10:00:00,60.00"),
        rejects={"refunds:refund_exceeds_order": 1},
    ),
    Case(
        "cart_missing_order",
        "a cart pointing to an order that does not exist",
        _append("carts.csv", "K9,S1,C1,2024-01-05 09:00:00,10.00,NOPE"),
        rejects={"carts:unknown_order": 1},
    ),
    Case(
        "duplicate_customers",
        "a customer listed twice with different e-mails",
        _append("customers.csv", "S1,C1,2024-01-01 09:00:00,other@mail.test,US,true,"),
        rejects={"customers:conflicting_duplicate_customer": 2},
    ),
    Case("mixed_case_codes", "COMPLETED, usd, Desktop", _mixed_case),
    Case("whitespace", "every value padded with spaces", _whitespace),
    Case(
        "parquet_wrong_types",
        "orders.parquet with text amounts, one not a number",
        _parquet_wrong_types,
        rejects={"orders:invalid_amount": 1},
        orders=TINY_ORDERS - 1,
    ),
    Case(
        "csv_and_parquet",
        "stores.csv and stores.parquet both present",
        _both_formats,
        error=("stores.csv", "stores.parquet", "keep one file per raw table"),
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
        }
    (directory / "cases.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    write_corpus(Path(sys.argv[1]))
