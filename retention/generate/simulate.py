"""Vectorised "buy till you die" simulation of a batch of customers of one store.

No Python loop per customer or per order: a customer's repeat purchases are a
thinned Poisson process on ``[first purchase, horizon)`` (candidate rate
``lambda * season_max``, kept with probability ``season(t) / season_max``), cut
after the ``K``-th repeat purchase where ``K ~ Geometric(p)`` is the purchase
after which the customer drops out (BG/NBD: inactive after any repeat
transaction with probability ``p``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention.generate.segments import Segment
from retention.generate.timeline import Timeline

MAX_CANDIDATES_PER_CUSTOMER = 5_000


@dataclass
class Customers:
    """Latent traits of a batch of customers (index = position in the batch)."""

    t0: np.ndarray  # day of acquisition = first purchase
    lam: np.ndarray  # purchase rate per day
    p_drop: np.ndarray  # dropout probability after each repeat purchase
    nu: np.ndarray  # Gamma-Gamma spend scale (order value ~ Gamma(p_shape, rate=nu))
    discount_propensity: np.ndarray  # probability that an order uses a code
    device: np.ndarray  # preferred device: 0 desktop, 1 mobile, 2 tablet

    @property
    def n(self) -> int:
        return int(self.t0.size)

    def take(self, n: int) -> Customers:
        return Customers(
            self.t0[:n],
            self.lam[:n],
            self.p_drop[:n],
            self.nu[:n],
            self.discount_propensity[:n],
            self.device[:n],
        )


@dataclass
class Purchases:
    """Purchase events sorted by customer then time."""

    cust: np.ndarray  # customer index in the batch
    t: np.ndarray  # day (float)
    seq: np.ndarray  # 0 = first purchase, 1 = first repeat, ...

    @property
    def n(self) -> int:
        return int(self.cust.size)

    def for_first_customers(self, n: int) -> Purchases:
        keep = self.cust < n
        return Purchases(self.cust[keep], self.t[keep], self.seq[keep])


def draw_customers(rng: np.random.Generator, seg: Segment, timeline: Timeline, n: int) -> Customers:
    t0 = timeline.sample_acquisition(rng, n)
    lam = rng.gamma(seg.r, 1.0 / seg.alpha, size=n)
    p_drop = np.clip(rng.beta(seg.a, seg.b, size=n), 1e-6, 1.0)
    nu = rng.gamma(seg.q, 1.0 / seg.gamma, size=n)
    # 35 % never use a code, 10 % are bargain hunters, the rest use one now and then.
    kind = rng.random(n)
    occasional = rng.beta(1.2, 5.0, size=n)
    discount_propensity = np.where(kind < 0.35, 0.0, np.where(kind < 0.45, 0.85, occasional))
    device = np.searchsorted(np.array([0.42, 0.90]), rng.random(n), side="right").astype(np.int8)
    return Customers(t0, lam, p_drop, nu, discount_propensity, device)


def simulate_purchases(
    rng: np.random.Generator, customers: Customers, timeline: Timeline, repeat: bool = True
) -> Purchases:
    n = customers.n
    first = Purchases(np.arange(n, dtype=np.int64), customers.t0, np.zeros(n, dtype=np.int64))
    if not repeat or n == 0:
        return first
    dropout_after = rng.geometric(customers.p_drop)  # repeat purchase after which it stops
    window = timeline.horizon - customers.t0
    expected = customers.lam * timeline.season_max * window
    n_candidates = np.minimum(rng.poisson(expected), MAX_CANDIDATES_PER_CUSTOMER)
    cust = np.repeat(np.arange(n, dtype=np.int64), n_candidates)
    t = customers.t0[cust] + rng.random(cust.size) * window[cust]
    accept = rng.random(cust.size) * timeline.season_max < timeline.seasonal(t)
    cust, t = cust[accept], t[accept]
    order = np.lexsort((t, cust))
    cust, t = cust[order], t[order]
    counts = np.bincount(cust, minlength=n)
    starts = np.cumsum(counts) - counts
    rank = np.arange(cust.size, dtype=np.int64) - starts[cust]
    keep = rank < dropout_after[cust]
    cust = np.concatenate([first.cust, cust[keep]])
    t = np.concatenate([first.t, t[keep]])
    seq = np.concatenate([first.seq, rank[keep] + 1])
    order = np.lexsort((seq, cust))
    return Purchases(cust[order], t[order], seq[order])


def orders_per_customer(seg: Segment, timeline: Timeline, rng: np.random.Generator) -> float:
    """Pilot estimate of the expected number of orders of a newly acquired customer."""
    customers = draw_customers(rng, seg, timeline, 20_000)
    return simulate_purchases(rng, customers, timeline).n / customers.n
