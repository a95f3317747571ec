"""Order attributes (money, device, channel, discount, status) and refunds, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retention.generate.schema import SCHEMAS, categorical, constant, ids, money, timestamps
from retention.generate.segments import (
    DEVICE_VALUE_FACTOR,
    DISCOUNT_CODES,
    HOLIDAY_CODE,
    USD_RATE,
    WELCOME_CODE,
)
from retention.generate.simulate import Customers, Purchases
from retention.generate.stores import Store
from retention.generate.timeline import SECONDS_PER_DAY, Timeline

DEVICES = ("desktop", "mobile", "tablet")
CHANNELS = ("web", "mobile_app", "marketplace", "pos")
STATUSES = ("completed", "cancelled", "refunded", "pending")
CODES = (*tuple(c for c, _ in DISCOUNT_CODES), WELCOME_CODE[0], HOLIDAY_CODE[0])
CODE_PCT = np.array([p for _, p in DISCOUNT_CODES] + [WELCOME_CODE[1], HOLIDAY_CODE[1]])
WELCOME_IDX, HOLIDAY_IDX = len(DISCOUNT_CODES), len(DISCOUNT_CODES) + 1
SHIPPING_FEES_CENTS = np.array([499, 599, 799, 999])

P_CANCELLED = 0.05
P_REFUNDED = 0.042
P_PENDING_BASE = 0.012  # stuck payments anywhere in the window
PENDING_RECENT_DAYS = 14  # most pending orders are from the last two weeks
P_ZERO_SUBTOTAL = 0.002
P_PARTIAL_REFUND = 0.02
P_MARKETPLACE_FOREIGN = 0.12


@dataclass
class Orders:
    """Numpy columns of a batch of orders (one entry per purchase event)."""

    number: np.ndarray  # order counter within the store
    cust: np.ndarray  # customer index in the batch (-1 for guests)
    seq: np.ndarray  # customer order number, 0 = first
    ts: np.ndarray  # epoch seconds
    status: np.ndarray  # index in STATUSES
    currency: np.ndarray  # index in the currency list of the batch
    currencies: list[str]
    subtotal: np.ndarray  # cents
    discount: np.ndarray
    shipping: np.ndarray
    tax: np.ndarray
    channel: np.ndarray  # index in CHANNELS
    device: np.ndarray  # index in DEVICES, -1 = none (pos)
    code: np.ndarray  # index in CODES, -1 = none

    @property
    def n(self) -> int:
        return int(self.ts.size)

    @property
    def net(self) -> np.ndarray:
        return self.subtotal - self.discount


def _devices_and_channels(
    rng: np.random.Generator, store: Store, preferred: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n = preferred.size
    random_device = np.searchsorted(np.array([0.42, 0.90]), rng.random(n), side="right")
    device = np.where(rng.random(n) < 0.8, preferred, random_device).astype(np.int64)
    u = rng.random(n)
    channel = np.where(u < 0.88, 0, 2)  # desktop / tablet: web, sometimes marketplace
    mobile = device == 1
    channel[mobile] = np.where(u[mobile] < 0.45, 0, np.where(u[mobile] < 0.90, 1, 2))
    pos = rng.random(n) < store.segment.pos_share
    channel[pos] = 3
    device[pos] = -1
    return device, channel


def _discounts(
    rng: np.random.Generator,
    timeline: Timeline,
    subtotal: np.ndarray,
    seq: np.ndarray,
    ts: np.ndarray,
    propensity: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    n = subtotal.size
    uses = (rng.random(n) < propensity) & (subtotal > 0)
    code = rng.integers(0, len(DISCOUNT_CODES), size=n)
    code = np.where((seq == 0) & (rng.random(n) < 0.5), WELCOME_IDX, code)
    day = ts.astype("datetime64[s]").astype("datetime64[D]")
    month_day = (day - day.astype("datetime64[M]")).astype(np.int64)
    month = day.astype("datetime64[M]").astype(np.int64) % 12
    holiday = ((month == 10) & (month_day >= 20)) | ((month == 11) & (month_day <= 1))
    code = np.where(holiday & (rng.random(n) < 0.6), HOLIDAY_IDX, code)
    code = np.where(uses, code, -1)
    discount = np.where(uses, np.rint(subtotal * CODE_PCT[np.maximum(code, 0)]), 0)
    return discount.astype(np.int64), code


def _statuses(
    rng: np.random.Generator, timeline: Timeline, ts: np.ndarray, net: np.ndarray
) -> np.ndarray:
    n = ts.size
    age_days = (timeline.end_epoch - ts) / SECONDS_PER_DAY
    recent = np.clip(1.0 - age_days / PENDING_RECENT_DAYS, 0.0, 1.0)
    p_pending = np.maximum(P_PENDING_BASE, 0.9 * recent)
    u = rng.random(n)
    status = np.zeros(n, dtype=np.int64)
    refundable = (net > 0) & (age_days >= 1.0)
    status[(u < P_REFUNDED) & refundable] = 2
    status[(u >= P_REFUNDED) & (u < P_REFUNDED + P_CANCELLED)] = 1
    status[rng.random(n) < p_pending] = 3
    return status


def build_orders(
    rng: np.random.Generator,
    store: Store,
    timeline: Timeline,
    customers: Customers,
    purchases: Purchases,
    first_number: int,
) -> Orders:
    n = purchases.n
    seg, loc = store.segment, store.locale
    cust = purchases.cust
    ts = timeline.to_epoch_seconds(rng, purchases.t, loc.utc_offset_hours)
    device, channel = _devices_and_channels(rng, store, customers.device[cust])
    # Currency: the store's, except a few marketplace orders settled in another one.
    other = "EUR" if loc.currency == "USD" else "USD"
    currencies = [loc.currency, other]
    foreign = (channel == 2) & (rng.random(n) < P_MARKETPLACE_FOREIGN)
    fx = np.where(foreign, USD_RATE[other], loc.usd_rate)
    factor = np.array([DEVICE_VALUE_FACTOR[d] for d in DEVICES] + [1.0])[device]
    value = rng.gamma(seg.p_shape, 1.0 / customers.nu[cust]) * factor * fx
    subtotal = np.maximum(np.rint(value * 100), 100).astype(np.int64)
    subtotal[rng.random(n) < P_ZERO_SUBTOTAL] = 0
    discount, code = _discounts(
        rng, timeline, subtotal, purchases.seq, ts, customers.discount_propensity[cust]
    )
    net = subtotal - discount
    threshold = max(50.0, 0.8 * seg.aov_usd) * 100 * fx
    fee = SHIPPING_FEES_CENTS[rng.integers(0, SHIPPING_FEES_CENTS.size, size=n)]
    shipping = np.where((net >= threshold) | (channel == 3) | (net == 0), 0, fee)
    tax = np.rint(net * loc.tax_rate).astype(np.int64)
    return Orders(
        number=first_number + np.arange(n, dtype=np.int64),
        cust=cust,
        seq=purchases.seq,
        ts=ts,
        status=_statuses(rng, timeline, ts, net),
        currency=foreign.astype(np.int64),
        currencies=currencies,
        subtotal=subtotal,
        discount=discount,
        shipping=shipping.astype(np.int64),
        tax=tax,
        channel=channel,
        device=device,
        code=code,
    )


def orders_table(store: Store, orders: Orders, customer_numbers: np.ndarray | None) -> pa.Table:
    """``customer_numbers[cust]`` is the customer id number; None for a batch of guests."""
    n = orders.n
    if customer_numbers is None:
        customer_id = pa.nulls(n, pa.string())
    else:
        customer_id = ids("C", customer_numbers[orders.cust])
    return pa.Table.from_arrays(
        [
            ids("O", orders.number),
            constant(store.store_id, n),
            customer_id,
            timestamps(orders.ts),
            categorical(STATUSES, orders.status),
            categorical(orders.currencies, orders.currency),
            money(orders.subtotal),
            money(orders.discount),
            money(orders.shipping),
            money(orders.tax),
            categorical(CHANNELS, orders.channel),
            categorical(DEVICES, orders.device),
            categorical(CODES, orders.code),
        ],
        schema=SCHEMAS["orders"],
    )


def refunds_table(
    rng: np.random.Generator, store: Store, timeline: Timeline, orders: Orders, first_number: int
) -> pa.Table:
    """1-2 rows per refunded order (often the full net amount); partial refunds on ~2 % of
    completed orders.  Rows of an order never sum to more than subtotal - discount."""
    net, n = orders.net, orders.n
    age_days = (timeline.end_epoch - orders.ts) / SECONDS_PER_DAY
    refunded = orders.status == 2
    partial = (orders.status == 0) & (net > 0) & (age_days >= 1.0)
    partial &= rng.random(n) < P_PARTIAL_REFUND
    fraction = np.where(rng.random(n) < 0.75, 1.0, rng.uniform(0.3, 0.95, size=n))
    fraction = np.where(partial, rng.uniform(0.1, 0.5, size=n), fraction)
    total = np.maximum(np.floor(net * fraction), 1).astype(np.int64)
    idx = np.flatnonzero(refunded | partial)
    total = total[idx]
    two = refunded[idx] & (rng.random(idx.size) < 0.3) & (total >= 2)
    first_amount = np.where(two, np.floor(total * rng.uniform(0.3, 0.7, size=idx.size)), total)
    first_amount = np.maximum(first_amount, 1).astype(np.int64)
    max_delay = np.minimum(30.0, age_days[idx])  # refunds stay inside the window
    delay = (1.0 + rng.random(idx.size) * (max_delay - 1.0)) * SECONDS_PER_DAY
    first_at = orders.ts[idx] + delay.astype(np.int64)
    last_allowed = np.minimum(timeline.end_epoch, orders.ts[idx] + 30 * SECONDS_PER_DAY)
    room = np.clip(last_allowed - first_at, 0, 5 * SECONDS_PER_DAY)
    second_at = first_at + (rng.random(idx.size) * room).astype(np.int64)
    order_idx = np.concatenate([idx, idx[two]])
    amount = np.concatenate([first_amount, (total - first_amount)[two]])
    at = np.minimum(np.concatenate([first_at, second_at[two]]), timeline.end_epoch)
    sort = np.lexsort((at, order_idx))
    order_idx, amount, at = order_idx[sort], amount[sort], at[sort]
    m = order_idx.size
    return pa.Table.from_arrays(
        [
            ids("R", first_number + np.arange(m, dtype=np.int64)),
            constant(store.store_id, m),
            ids("O", orders.number[order_idx]),
            timestamps(at),
            money(amount),
        ],
        schema=SCHEMAS["refunds"],
    )
