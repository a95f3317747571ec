"""`make build`: dbt build, validation, atomic publishing for BI tools, summary.

1. `dbt build` (models + data tests) into WAREHOUSE_PATH;
2. Great Expectations validation of the marts (every expectation suite must
   pass); the outcome of each suite is also written to
   target/validation_report.json (VALIDATION_REPORT, in DBT_TARGET_PATH);
3. publish (retention.publish): write the marts of the validated warehouse
   (schema `marts` only, plus column docs and run parameters) into a file
   next to BI_WAREHOUSE_PATH and `os.replace` it over the published file.
   Readers that hold the old file open keep seeing the previous complete
   data; new connections see the new. A failed build or validation
   publishes nothing.
4. print a short summary: rows per mart, rejects by table and reason with
   their share, missing exchange rates, time (the rejects also after a
   failed build).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from retention.dbt import PROJECT_ROOT, dbt_env, run_dbt, target_path
from retention.disk import build_disk_warning, free_bytes
from retention.publish import publish_marts

DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse" / "retention.duckdb"
DEFAULT_BI_WAREHOUSE = PROJECT_ROOT / "warehouse" / "retention_bi.duckdb"
#: the validation's outcome per suite, written into dbt's target folder
VALIDATION_REPORT = "validation_report.json"


def warehouse_path() -> Path:
    return Path(os.environ.get("WAREHOUSE_PATH", DEFAULT_WAREHOUSE))


def bi_warehouse_path() -> Path:
    return Path(os.environ.get("BI_WAREHOUSE_PATH", DEFAULT_BI_WAREHOUSE))


def summary(path: Path, seconds: float) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        marts = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' order by table_name"
        ).fetchall()
        rows = [
            (name, con.execute(f'select count(*) from marts."{name}"').fetchone()[0])
            for (name,) in marts
        ]
        as_of = con.execute("select max(order_date) from marts.fct_orders").fetchone()[0]
    width = max(len(name) for name, _ in rows) if rows else 10
    lines = ["", "Built marts (rows):"]
    lines += [f"  {name:<{width}}  {count:>12,}" for name, count in rows]
    lines += rejects_summary(path)
    lines.append(f"Latest order in fct_orders: {as_of}")
    lines.append(f"Warehouse: {path}")
    lines.append(f"Total time: {seconds:.1f} s")
    return "\n".join(lines)


def rejects_summary(path: Path) -> list[str]:
    """Rejected raw rows by table and reason with their share of the table,
    and the missing exchange rates with how to supply them; [] when the
    staging tables were not built."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            reasons = con.execute(
                """
                select rejects.raw_table, rejects.reject_reason, count(*),
                       count(*) / max(counts.raw_rows)
                from staging.stg_shop__rejects as rejects
                join staging.stg_shop__raw_row_counts as counts using (raw_table)
                group by 1, 2 order by 1, 3 desc, 2
                """
            ).fetchall()
            missing = con.execute(
                """
                select currency, strftime(month, '%Y-%m'), count(*)
                from staging.stg_shop__missing_fx_rates group by 1, 2 order by 1, 2
                """
            ).fetchall()
    except duckdb.Error:
        return []
    if not reasons:
        return ["Rejected raw rows: none"]
    lines = ["Rejected raw rows (details: staging.stg_shop__rejects):"]
    lines += [
        f"  {table:<16} {reason:<32} {count:>10,}  {share:7.2%} of {table}"
        for table, reason, count, share in reasons
    ]
    if missing:
        months = ", ".join(f"{currency} {month} ({rows:,})" for currency, month, rows in missing)
        lines.append(f"Missing exchange rates (currency month (rows)): {months}")
        lines.append(
            "  Supply them as RAW_DATA_DIR/fx_rates.csv with columns currency,month,rate_to_usd"
            " (month = first day; US dollars per unit): it overrides and extends"
            " seeds/fx_rates.csv."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-publish", action="store_true", help="skip publishing for BI")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental models from scratch (after changing their code)",
    )
    parser.add_argument("dbt_args", nargs="*", help="extra arguments for dbt build (after --)")
    args = parser.parse_args(argv)
    if args.full_refresh:
        args.dbt_args.append("--full-refresh")

    started = time.perf_counter()
    path = warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"dbt build -> {path} (raw data: {os.environ.get('RAW_DATA_DIR', 'data/sample')})")
    disk_warning = build_disk_warning(path, free_bytes(path))
    if disk_warning:
        print(disk_warning, file=sys.stderr)
    # publishing reads the column docs from target/manifest.json: dbt writes
    # its JSON artifacts whatever DBT_WRITE_JSON the caller set
    env = dbt_env(warehouse_path=path, extra={"DBT_WRITE_JSON": "true"})
    result = run_dbt(["build", *args.dbt_args], env=env, echo=True)
    if not result.ok:
        print("\n".join(rejects_summary(path)))
        print("dbt build failed: nothing published.", file=sys.stderr)
        return result.returncode

    # imported here: Great Expectations takes seconds to import, and the
    # other helpers of this module (publish, summary) do not need it
    from retention.validate.__main__ import main as validate_main

    report = target_path() / VALIDATION_REPORT
    code = validate_main(["--warehouse", str(path), "--require-all", "--json-report", str(report)])
    if code != 0:
        print("validation failed: nothing published.", file=sys.stderr)
        return code

    if not args.no_publish:
        destination = bi_warehouse_path()
        published = publish_marts(path, destination)
        print(
            f"published the marts for BI tools (open read-only): {destination} "
            f"({published.size_bytes / 1e6:.1f} MB, {published.seconds:.1f} s)"
        )

    print(summary(path, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
