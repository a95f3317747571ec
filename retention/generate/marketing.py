"""Monthly marketing spend per store and channel, driven by the month's new customers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retention.generate.schema import SCHEMAS, constant, money
from retention.generate.segments import MARKETING_CHANNELS
from retention.generate.stores import Store
from retention.generate.timeline import Timeline

BASELINE_CUSTOMERS = 2.0  # always-on spend, in CAC units per month and channel mix


def marketing_table(
    rng: np.random.Generator, store: Store, timeline: Timeline, new_customers: np.ndarray
) -> pa.Table:
    """Spend = (new customers + a small baseline) x segment CAC x channel share x noise,
    in the store currency; one row per month x channel, zero-acquisition months included."""
    months = timeline.months()
    shares = np.array([share for _, share in MARKETING_CHANNELS])
    n_m, n_c = months.size, shares.size
    cac = store.segment.cac_usd * store.locale.usd_rate
    noise = rng.lognormal(0.0, 0.25, size=(n_m, n_c))
    spend = (new_customers[:, None] + BASELINE_CUSTOMERS) * cac * shares[None, :] * noise
    n = n_m * n_c
    return pa.Table.from_arrays(
        [
            constant(store.store_id, n),
            pa.array(np.repeat(months, n_c), pa.date32()),
            pa.array([c for c, _ in MARKETING_CHANNELS] * n_m, pa.string()),
            money(np.rint(spend.ravel() * 100).astype(np.int64)),
            constant(store.locale.currency, n),
        ],
        schema=SCHEMAS["marketing_spend"],
    )
