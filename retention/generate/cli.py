"""Command line: ``python -m retention.generate --orders N --stores S --seed K ...``."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from retention.generate.run import generate
from retention.generate.writers import FORMATS


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m retention.generate",
        description="Generate synthetic raw data (orders, stores, customers, refunds, carts, "
        "marketing_spend) for the retention warehouse. Same arguments, same output.",
    )
    p.add_argument("--orders", type=int, default=100_000, help="target number of orders (±2 %%)")
    p.add_argument("--stores", type=int, default=40, help="number of stores")
    p.add_argument("--seed", type=int, default=7, help="random seed")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="parquet")
    p.add_argument("--out", type=Path, required=True, help="output folder (created if missing)")
    p.add_argument("--start", type=date.fromisoformat, default=date(2022, 1, 1))
    p.add_argument("--end", type=date.fromisoformat, default=date(2024, 12, 31))
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        summary = generate(
            out_dir=args.out,
            orders=args.orders,
            stores=args.stores,
            seed=args.seed,
            fmt=args.fmt,
            start=args.start,
            end=args.end,
            progress=not args.quiet,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0
