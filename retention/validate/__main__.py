"""`python -m retention.validate [--warehouse PATH] [--require-all] [--docs] [--json-report FILE]`.

Exits 1 when an expectation fails (and names it), when no expectation ran,
or, with --require-all, when a contract mart is absent or an expectation
could not run (a column or relation it reads is absent).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from retention.validate.checkpoint import format_report, report_summary, run_checkpoint
from retention.validate.context import GX_DIR, default_warehouse_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retention.validate", description=__doc__)
    parser.add_argument(
        "--warehouse", type=Path, default=None, help="DuckDB file (default: $WAREHOUSE_PATH)"
    )
    parser.add_argument(
        "--require-all",
        action="store_true",
        help="an absent mart or an expectation that cannot run is an error",
    )
    parser.add_argument(
        "--docs", action="store_true", help="also build Great Expectations Data Docs"
    )
    parser.add_argument("--mart", action="append", help="validate only this mart (repeatable)")
    parser.add_argument(
        "--gx-dir", type=Path, default=GX_DIR, help="GX file context (default: gx/)"
    )
    parser.add_argument(
        "--json-report",
        type=Path,
        default=None,
        help="also write the outcome of every suite to this JSON file",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warehouse = args.warehouse or default_warehouse_path()
    try:
        report = run_checkpoint(
            warehouse,
            require_all=args.require_all,
            build_docs=args.docs,
            only=args.mart,
            gx_dir=args.gx_dir,
        )
    except (FileNotFoundError, ValueError) as error:
        print(f"validation: {error}", file=sys.stderr)
        return 2
    print(format_report(report))
    if args.json_report is not None:
        args.json_report.parent.mkdir(parents=True, exist_ok=True)
        args.json_report.write_text(json.dumps(report_summary(report), indent=2) + "\n")
    return 0 if report.success else 1


if __name__ == "__main__":
    sys.exit(main())
