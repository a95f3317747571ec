"""Top-level generation: stores, then per store batches of customers, streamed to disk."""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from retention.generate.marketing import marketing_table
from retention.generate.orders import build_orders, orders_table, refunds_table
from retention.generate.people import carts_table, customers_table
from retention.generate.segments import SEGMENTS
from retention.generate.simulate import (
    Customers,
    Purchases,
    draw_customers,
    orders_per_customer,
    simulate_purchases,
)
from retention.generate.stores import Store, build_stores, stores_table
from retention.generate.timeline import Timeline
from retention.generate.writers import WriterSet

P_GUEST = 0.05  # share of orders placed by guests (no customer id, one-off)
MAX_BATCH_ORDERS = 600_000  # expected orders per simulated batch: bounds memory


@dataclass
class GenerationSummary:
    out_dir: Path
    fmt: str
    requested_orders: int
    rows: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def lines(self) -> list[str]:
        r = self.rows
        deviation = 100.0 * (r["orders"] - self.requested_orders) / max(self.requested_orders, 1)
        rate = r["orders"] / max(self.elapsed_seconds, 1e-9)
        return [
            f"orders:    {r['orders']:,} (requested {self.requested_orders:,}, {deviation:+.2f} %)",
            f"stores:    {r['stores']:,}; customers: {r['customers']:,}",
            f"refunds:   {r['refunds']:,}; carts: {r['carts']:,}; "
            f"marketing_spend: {r['marketing_spend']:,}",
            f"elapsed:   {self.elapsed_seconds:.1f} s ({rate:,.0f} orders/s)",
            f"peak RSS:  {self.peak_rss_mb:,.0f} MB; output: {self.out_dir} ({self.fmt})",
        ]


def _rng(seed: int, *key: int) -> np.random.Generator:
    """Independent stream per (purpose, store, batch): results do not depend on scheduling."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


class _StoreRun:
    """Simulates one store batch by batch, keeping the id counters of the store."""

    def __init__(
        self,
        store: Store,
        timeline: Timeline,
        seed: int,
        writers: WriterSet,
        on_orders: Callable[[int], None],
    ) -> None:
        self.store, self.timeline, self.seed = store, timeline, seed
        self.writers, self.on_orders = writers, on_orders
        self.next_order = self.next_customer = self.next_cart = self.next_refund = 1
        self.new_customers = np.zeros(timeline.n_months, dtype=np.float64)

    def run(self, opc: float) -> None:
        store, timeline = self.store, self.timeline
        n_guest = round(store.target_orders * P_GUEST)
        rng = _rng(self.seed, 2, store.index, 0)
        guests = draw_customers(rng, store.segment, timeline, n_guest)
        self._emit(rng, guests, simulate_purchases(rng, guests, timeline, repeat=False), True)
        remaining, batch = store.target_orders - n_guest, 0
        while remaining > 0:
            batch += 1
            rng = _rng(self.seed, 2, store.index, batch)
            n = math.ceil(min(remaining, MAX_BATCH_ORDERS) / opc * 1.05) + 5
            customers = draw_customers(rng, store.segment, timeline, n)
            purchases = simulate_purchases(rng, customers, timeline)
            cum = np.cumsum(np.bincount(purchases.cust, minlength=n))
            if cum[-1] > remaining:  # stop at the customer who reaches the target
                keep = int(np.searchsorted(cum, remaining)) + 1
                customers = customers.take(keep)
                purchases = purchases.for_first_customers(keep)
            remaining -= purchases.n
            self.new_customers += np.bincount(
                timeline.month_index(customers.t0), minlength=timeline.n_months
            )
            self._emit(rng, customers, purchases, False)
        marketing = marketing_table(
            _rng(self.seed, 3, store.index), store, timeline, self.new_customers
        )
        self.writers.write("marketing_spend", marketing)

    def _emit(
        self, rng: np.random.Generator, traits: Customers, purchases: Purchases, guests: bool
    ) -> None:
        """Write the orders of a batch with their customers (unless guests), refunds, carts."""
        store, timeline, w = self.store, self.timeline, self.writers
        orders = build_orders(rng, store, timeline, traits, purchases, self.next_order)
        numbers = None
        customers = None if guests else traits
        if customers is not None:
            table, numbers, used = customers_table(
                rng, store, timeline, orders, customers.n, self.next_customer
            )
            self.next_customer += used
            w.write("customers", table)
        w.write("orders", orders_table(store, orders, numbers))
        refunds = refunds_table(rng, store, timeline, orders, self.next_refund)
        self.next_refund += refunds.num_rows
        w.write("refunds", refunds)
        carts = carts_table(rng, store, timeline, orders, customers, numbers, self.next_cart)
        self.next_cart += carts.num_rows
        w.write("carts", carts)
        self.next_order += orders.n
        self.on_orders(orders.n)


def generate(
    out_dir: Path,
    orders: int,
    stores: int,
    seed: int,
    fmt: str = "parquet",
    start: date = date(2022, 1, 1),
    end: date = date(2024, 12, 31),
    progress: bool = True,
) -> GenerationSummary:
    """Write the six raw files of docs/raw-data.md into ``out_dir``."""
    if orders < stores or stores < 1:
        raise ValueError("need at least one store and at least one order per store")
    began = time.perf_counter()
    timeline = Timeline(start, end)
    store_list = build_stores(stores, orders, _rng(seed, 0))
    used_segments = {s.segment.code for s in store_list}
    opc = {
        seg.code: orders_per_customer(seg, timeline, _rng(seed, 1, i))
        for i, seg in enumerate(SEGMENTS)
        if seg.code in used_segments
    }
    summary = GenerationSummary(Path(out_dir), fmt, orders)
    bar = tqdm(
        total=orders,
        unit="orders",
        unit_scale=True,
        disable=not progress,
        file=sys.stderr,
        desc="orders",
    )
    with WriterSet(Path(out_dir), fmt) as writers:
        writers.write("stores", stores_table(store_list))
        for store in store_list:
            _StoreRun(store, timeline, seed, writers, bar.update).run(opc[store.segment.code])
        summary.rows = writers.rows()
    bar.close()
    summary.elapsed_seconds = time.perf_counter() - began
    summary.peak_rss_mb = peak_rss_mb()
    return summary
