"""`python -m retention.report --out artifacts/report.html [--warehouse FILE]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from retention.dbt import PROJECT_ROOT
from retention.report.data import Marts
from retention.report.page import render

DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "retention.duckdb"


def build_report(warehouse: Path, out: Path) -> list[str]:
    """Write the report; returns the titles of sections that could not be drawn."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        html, missing = render(Marts(con), warehouse.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_PATH", DEFAULT_WAREHOUSE)),
        help="DuckDB file built by dbt (default: WAREHOUSE_PATH)",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "artifacts" / "report.html")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"No warehouse at {args.warehouse}: run `make build` first.", file=sys.stderr)
        return 2
    missing = build_report(args.warehouse, args.out)
    size = args.out.stat().st_size
    print(f"Report: {args.out} ({size / 1024:.0f} KiB, self-contained)")
    if missing:
        print(f"Not built yet (marts absent): {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
