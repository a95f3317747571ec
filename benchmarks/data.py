"""Benchmark data: generated once per (orders, stores, seed), cached under .bench/.

Each dataset has two raw-data folders:

- ``full``: the generator's output, the history through day D (its last
  order day); read only;
- ``daily``: the folder the warehouse is built on, rewritten in place to the
  store export of the evening before D and then to the export of D (the
  one-day change: benchmarks/daily.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from benchmarks.daily import last_day
from retention.dbt import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / ".bench"
RAW_TABLES = ("orders", "stores", "customers", "refunds", "carts", "marketing_spend")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_size(text: str) -> int:
    """'1M' -> 1_000_000, '20k' -> 20_000, '250000' -> 250_000."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"size {text!r}: expected a number with an optional k or M suffix")
    factor = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def size_label(orders: int) -> str:
    if orders % 1_000_000 == 0:
        return f"{orders // 1_000_000}M"
    if orders % 1_000 == 0:
        return f"{orders // 1_000}k"
    return str(orders)


@dataclass(frozen=True)
class Dataset:
    orders: int
    stores: int
    seed: int
    root: Path
    #: day D, the last order day: the day the one-day change adds
    last_day: date

    @property
    def full_dir(self) -> Path:
        return self.root / "full"

    @property
    def daily_dir(self) -> Path:
        return self.root / "daily"

    @property
    def label(self) -> str:
        return size_label(self.orders)


def _generate(out: Path, orders: int, stores: int, seed: int) -> None:
    command = [
        sys.executable,
        "-m",
        "retention.generate",
        *("--orders", str(orders), "--stores", str(stores), "--seed", str(seed)),
        *("--format", "parquet", "--out", str(out), "--quiet"),
    ]
    subprocess.run(command, check=True, cwd=PROJECT_ROOT)


def _link_or_copy(source: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    for table in RAW_TABLES:
        file = source / f"{table}.parquet"
        if file.exists():
            target = destination / file.name
            target.unlink(missing_ok=True)
            # relative: the cache stays valid when the checkout moves
            target.symlink_to(os.path.relpath(file.resolve(), destination.resolve()))


def ensure_dataset(
    orders: int,
    stores: int = 40,
    seed: int = 7,
    raw_dir: Path | None = None,
    log: Callable[[str], object] = print,
    cache_dir: Path = BENCH_DIR / "data",
) -> Dataset:
    """The cached dataset; generates it (or links ``raw_dir``) when missing."""
    root = cache_dir / f"orders{orders}_stores{stores}_seed{seed}"
    marker = root / "append_day.txt"
    if marker.exists():
        day = date.fromisoformat(marker.read_text().strip())
        return Dataset(orders, stores, seed, root, day)
    full = root / "full"
    shutil.rmtree(root, ignore_errors=True)
    start = time.perf_counter()
    if raw_dir is not None:
        log(f"data: using the generated files in {raw_dir} (links, not copies)")
        _link_or_copy(Path(raw_dir), full)
    else:
        log(f"data: generating {orders:,} orders, {stores} stores, seed {seed} ...")
        _generate(full, orders, stores, seed)
    day = last_day(full)
    marker.write_text(day.isoformat() + "\n")
    log(f"data: ready in {time.perf_counter() - start:.1f} s under {root}")
    return Dataset(orders, stores, seed, root, day)
