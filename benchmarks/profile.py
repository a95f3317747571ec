"""Profile models of a bench warehouse with DuckDB's profiler (EXPLAIN ANALYZE as JSON).

Re-runs each model's compiled SQL (from the bench run's target folder) as
``create table main.<model>__profiled`` in the bench warehouse, prints the
operators that took time (with rows and partition / join keys), then drops
the scratch table. Run after ``make bench``:

    python -m benchmarks.profile --size 1M fct_orders base_shop__orders
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.data import BENCH_DIR, parse_size, size_label

DETAILS = ("Partition By", "Order By", "Join Type", "Conditions", "Groups", "Aggregates", "Table")


def _operators(node: dict[str, Any], depth: int, threshold: float) -> list[str]:
    lines = []
    seconds = float(node.get("operator_timing", 0.0))
    if seconds >= threshold:
        name = node.get("operator_name") or node.get("operator_type") or "?"
        extra = node.get("extra_info") or {}
        detail = {k: v for k, v in extra.items() if k in DETAILS} if isinstance(extra, dict) else {}
        lines.append(
            f"{'  ' * depth}{name.strip()}: {seconds:.2f} s, "
            f"{node.get('operator_cardinality', 0):,} rows {str(detail)[:240]}"
        )
    for child in node.get("children", []):
        lines += _operators(child, depth + 1, threshold)
    return lines


def profile_model(warehouse: Path, compiled: Path, threshold: float = 0.05) -> list[str]:
    sql = compiled.read_text()
    scratch = f"main.{compiled.stem}__profiled"
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(warehouse)) as con:
        output = Path(tmp) / "profile.json"
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        con.execute(f"drop table if exists {scratch}")
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{output}'")
        start = time.perf_counter()
        con.execute(f"create table {scratch} as {sql}")
        seconds = time.perf_counter() - start
        con.execute("pragma disable_profiling")
        con.execute(f"drop table {scratch}")
        tree = json.loads(output.read_text())
    return [f"{compiled.stem}: {seconds:.2f} s wall", *_operators(tree, 1, threshold)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--size", default="1M")
    parser.add_argument("--threshold", type=float, default=0.05, help="seconds")
    args = parser.parse_args(argv)
    run = BENCH_DIR / "runs" / size_label(parse_size(args.size))
    compiled_root = run / "target" / "compiled"
    for model in args.models:
        matches = sorted(compiled_root.rglob(f"models/**/{model}.sql"))
        if not matches:
            print(f"{model}: no compiled SQL under {compiled_root} (run make bench first)")
            continue
        print("\n".join(profile_model(run / "warehouse.duckdb", matches[0], args.threshold)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
