"""The store catalogue: ids, names, segments, locales and relative sizes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retention.generate.segments import LOCALES, SEGMENTS, Locale, Segment

# fmt: off
_NAME_WORDS = (
    "Northwind", "Bluebird", "Copper", "Evergreen", "Harbor", "Juniper", "Maple",
    "Oak & Pine", "Red Fox", "Silverline", "Summit", "Sunrise", "Tidewater", "Urban",
    "Willow", "Golden", "Prairie", "Riverside", "Lighthouse", "Cedar",
)
# fmt: on
STORE_SIZE_SIGMA = 1.0  # lognormal sigma of store sizes (share of all orders)
MIN_STORE_SHARE = 0.15  # a store gets at least this fraction of the average store's orders


@dataclass(frozen=True)
class Store:
    index: int
    store_id: str
    name: str
    segment: Segment
    locale: Locale
    target_orders: int


def build_stores(n_stores: int, total_orders: int, rng: np.random.Generator) -> list[Store]:
    """Round-robin segments and locales; heterogeneous (lognormal) sizes summing to the target."""
    weights = rng.lognormal(mean=0.0, sigma=STORE_SIZE_SIGMA, size=n_stores)
    weights = weights / weights.mean()
    weights = np.maximum(weights, MIN_STORE_SHARE)
    weights = weights / weights.sum()
    targets = np.floor(weights * total_orders).astype(np.int64)
    # Hand the rounding remainder to the largest stores so the total is exact.
    remainder = int(total_orders - targets.sum())
    targets[np.argsort(-weights, kind="stable")[:remainder]] += 1
    width = max(4, len(str(n_stores)))
    names = rng.integers(0, len(_NAME_WORDS), size=n_stores)
    stores: list[Store] = []
    seen: set[str] = set()
    for i in range(n_stores):
        segment = SEGMENTS[i % len(SEGMENTS)]
        name = f"{_NAME_WORDS[names[i]]} {segment.label}"
        if name in seen:
            name = f"{name} {i + 1}"
        seen.add(name)
        stores.append(
            Store(
                index=i,
                store_id=f"S{i + 1:0{width}d}",
                name=name,
                segment=segment,
                locale=LOCALES[i % len(LOCALES)],
                target_orders=int(targets[i]),
            )
        )
    return stores


def stores_table(stores: list[Store]) -> pa.Table:
    return pa.table(
        {
            "store_id": pa.array([s.store_id for s in stores], pa.string()),
            "store_name": pa.array([s.name for s in stores], pa.string()),
            "industry_segment": pa.array([s.segment.code for s in stores], pa.string()),
            "currency": pa.array([s.locale.currency for s in stores], pa.string()),
            "country_code": pa.array([s.locale.country_code for s in stores], pa.string()),
            "timezone": pa.array([s.locale.timezone for s in stores], pa.string()),
        }
    )
