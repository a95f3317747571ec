"""Row-for-row comparison of a mart built by two engines.

A table is given as column names, engine type names and rows (tuples). Rows
are matched on the mart's primary key; values are compared by the kind of
the column, derived from its type:

- money (DECIMAL): equal after rounding to cents (half up);
- rate (DOUBLE/FLOAT): equal within 1e-9 (absolute or relative), NaN = NaN;
- anything else (integers, text, dates, timestamps, booleans): equal.

Null equals only null. The column names and their (normalised) types must
match too. No engine is imported here: callers fetch the rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
RATE_TOLERANCE = 1e-9
MAX_EXAMPLES = 5

# engine type spellings -> one name per type
_TYPE_ALIASES = {
    "varchar": "text",
    "string": "text",
    "text": "text",
    "int": "integer",
    "integer": "integer",
    "int4": "integer",
    "bigint": "bigint",
    "int8": "bigint",
    "long": "bigint",
    "double": "double",
    "float8": "double",
    "float": "float",
    "real": "float",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
}


def normalise_type(type_name: str) -> str:
    """'DECIMAL(18,2)' / 'decimal(18, 2)' -> 'decimal(18,2)', 'VARCHAR' / 'string' -> 'text'."""
    name = re.sub(r"\s+", "", type_name.lower())
    return _TYPE_ALIASES.get(name, name)


def column_kind(type_name: str) -> str:
    """'money', 'rate' or 'exact'."""
    name = normalise_type(type_name)
    if name.startswith("decimal") or name.startswith("numeric"):
        return "money"
    if name in {"double", "float"}:
        return "rate"
    return "exact"


@dataclass(frozen=True)
class Table:
    """One engine's copy of a mart."""

    columns: Sequence[str]
    types: Sequence[str]
    rows: Sequence[tuple[Any, ...]]


@dataclass
class Comparison:
    """The differences found between two copies of one mart (empty = equal)."""

    name: str
    rows_left: int
    rows_right: int
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not self.problems

    def report(self, left_label: str = "duckdb", right_label: str = "spark") -> str:
        head = (
            f"{self.name}: {self.rows_left:,} rows ({left_label})"
            f" vs {self.rows_right:,} ({right_label})"
        )
        notes = f" ({'; '.join(self.notes)})" if self.notes else ""
        if self.equal:
            return f"{head}: equal{notes}"
        lines = [f"{head}: DIFFERENT{notes}", *(f"  - {problem}" for problem in self.problems)]
        return "\n".join(lines)


def values_equal(kind: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if kind == "money":
        return _cents(left) == _cents(right)
    if kind == "rate":
        a, b = float(left), float(right)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=RATE_TOLERANCE, abs_tol=RATE_TOLERANCE)
    return _same_plain_value(left, right)


def _same_plain_value(left: Any, right: Any) -> bool:
    # ints of different Python/numpy types, but never True == 1
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    try:
        return bool(left == right)
    except (TypeError, ValueError):
        return False


def _cents(value: Any) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _sort_key(key: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    # nulls first, then by text: keys mix types (dates, text, integers)
    return tuple((0, "") if v is None else (1, f"{v!s:>40}") for v in key)


def compare_tables(
    name: str,
    left: Table,
    right: Table,
    key_columns: Sequence[str] | None,
) -> Comparison:
    """Compare two copies of a mart.

    key_columns None = every column is the key.
    """
    result = Comparison(name, len(left.rows), len(right.rows))
    if set(left.columns) != set(right.columns):
        missing = [c for c in left.columns if c not in right.columns]
        extra = [c for c in right.columns if c not in left.columns]
        result.problems.append(f"columns differ: only left {missing}, only right {extra}")
        return result
    if list(left.columns) != list(right.columns):
        # DuckDB's enforced contract orders columns as the YAML lists them;
        # an engine without it keeps the model's order: compared by name
        result.notes.append("column order differs (compared by name)")
        order = [list(right.columns).index(c) for c in left.columns]
        right = Table(
            list(left.columns),
            [right.types[i] for i in order],
            [tuple(row[i] for i in order) for row in right.rows],
        )
    for column, left_type, right_type in zip(left.columns, left.types, right.types, strict=True):
        if normalise_type(left_type) != normalise_type(right_type):
            result.problems.append(f"column {column}: type {left_type} vs {right_type}")

    keys = list(key_columns) if key_columns else list(left.columns)
    positions = [list(left.columns).index(k) for k in keys]
    kinds = [column_kind(t) for t in left.types]

    def index(table: Table, label: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        indexed: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        duplicates = 0
        for row in table.rows:
            key = tuple(_key_value(kinds[p], row[p]) for p in positions)
            if key in indexed:
                duplicates += 1
            indexed[key] = row
        if duplicates:
            result.problems.append(f"{label}: {duplicates} rows share a key {keys}")
        return indexed

    left_rows, right_rows = index(left, "left"), index(right, "right")
    only_left = sorted(set(left_rows) - set(right_rows), key=_sort_key)
    only_right = sorted(set(right_rows) - set(left_rows), key=_sort_key)
    for label, missing_keys in (("only left", only_left), ("only right", only_right)):
        if missing_keys:
            examples = ", ".join(
                str(dict(zip(keys, k, strict=True))) for k in missing_keys[:MAX_EXAMPLES]
            )
            result.problems.append(f"{len(missing_keys)} rows {label}, e.g. {examples}")

    mismatches: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    for key in sorted(set(left_rows) & set(right_rows), key=_sort_key):
        a, b = left_rows[key], right_rows[key]
        for position, column in enumerate(left.columns):
            if not values_equal(kinds[position], a[position], b[position]):
                counts[column] = counts.get(column, 0) + 1
                examples = mismatches.setdefault(column, [])
                if len(examples) < MAX_EXAMPLES:
                    examples.append(
                        f"{dict(zip(keys, key, strict=True))}: {a[position]!r} vs {b[position]!r}"
                    )
    for column, examples in mismatches.items():
        result.problems.append(
            f"column {column} ({kinds[list(left.columns).index(column)]}): "
            f"{counts[column]} rows differ, e.g. " + "; ".join(examples)
        )
    return result


def _key_value(kind: str, value: Any) -> Any:
    """Key values compared exactly, money keys by cents, int-like numbers as int."""
    if value is None:
        return None
    if kind == "money":
        return _cents(value)
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalar
    return value
