"""Arrow schemas of the raw files (docs/raw-data.md) and column builders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MONEY = pa.decimal128(12, 2)
TS = pa.timestamp("s")

SCHEMAS: dict[str, pa.Schema] = {
    "orders": pa.schema(
        [
            ("order_id", pa.string()),
            ("store_id", pa.string()),
            ("customer_id", pa.string()),
            ("ordered_at", TS),
            ("status", pa.string()),
            ("currency", pa.string()),
            ("subtotal_amount", MONEY),
            ("discount_amount", MONEY),
            ("shipping_amount", MONEY),
            ("tax_amount", MONEY),
            ("channel", pa.string()),
            ("device", pa.string()),
            ("discount_code", pa.string()),
        ]
    ),
    "stores": pa.schema(
        [
            ("store_id", pa.string()),
            ("store_name", pa.string()),
            ("industry_segment", pa.string()),
            ("currency", pa.string()),
            ("country_code", pa.string()),
            ("timezone", pa.string()),
        ]
    ),
    "customers": pa.schema(
        [
            ("store_id", pa.string()),
            ("customer_id", pa.string()),
            ("created_at", TS),
            ("email", pa.string()),
            ("country_code", pa.string()),
            ("accepts_marketing", pa.bool_()),
            ("loyalty_member_since", TS),
        ]
    ),
    "refunds": pa.schema(
        [
            ("refund_id", pa.string()),
            ("store_id", pa.string()),
            ("order_id", pa.string()),
            ("refunded_at", TS),
            ("amount", MONEY),
        ]
    ),
    "carts": pa.schema(
        [
            ("cart_id", pa.string()),
            ("store_id", pa.string()),
            ("customer_id", pa.string()),
            ("created_at", TS),
            ("cart_value", MONEY),
            ("order_id", pa.string()),
        ]
    ),
    "marketing_spend": pa.schema(
        [
            ("store_id", pa.string()),
            ("month", pa.date32()),
            ("channel", pa.string()),
            ("spend_amount", MONEY),
            ("currency", pa.string()),
        ]
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)

ID_WIDTH = {"O": 9, "C": 8, "K": 9, "R": 9}  # digits after the prefix


def money(cents: np.ndarray) -> pa.Array:
    """Exact decimal(12,2) array from integer cents."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((cents.size, 2), dtype=np.int64)  # little-endian 128-bit integers
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, cents.size, [None, pa.py_buffer(words.tobytes())])


def ids(prefix: str, numbers: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ``C00012345``; null where ``mask`` is True."""
    text = pc.cast(pa.array(numbers, pa.int64()), pa.string())
    digits = pc.utf8_lpad(text, ID_WIDTH[prefix], "0")
    out = pc.binary_join_element_wise(prefix, digits, "")
    if mask is not None:
        out = pc.if_else(pa.array(mask), pa.nulls(len(out), pa.string()), out)
    return out


def timestamps(epoch_seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(epoch_seconds, dtype=np.int64), pa.int64(), mask=mask).cast(TS)


def categorical(
    labels: tuple[str, ...] | list[str], codes: np.ndarray, null_code: int = -1
) -> pa.Array:
    """Strings ``labels[code]``; null where ``code == null_code``."""
    idx = pa.array(np.asarray(codes, dtype=np.int64), mask=np.asarray(codes) == null_code)
    return pa.array(list(labels), pa.string()).take(idx)


def constant(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)
