"""`make test-spark`: build the sample on Spark and compare every mart with DuckDB.

1. DuckDB reference: `dbt build` of RAW_DATA_DIR (default data/sample) into
   warehouse/spark/reference.duckdb (or --duckdb PATH: an existing build of
   the same data and vars, e.g. the one `make build` wrote);
2. Spark: in this process (one JVM), dbt build on the spark target without
   the models downstream of the CLV step, the CLV step, dbt build of the
   rest (timed: "Spark build time");
3. every mart (models/marts, from the manifest) compared row for row on its
   primary key (retention.spark.compare); a clear diff and exit 1 on any
   difference.

Spark's metastore and tables live in SPARK_HOME_DIR (default
warehouse/spark, gitignored); each run drops and rebuilds them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from retention.dbt import PROJECT_ROOT, dbt_env, run_dbt
from retention.spark.compare import Comparison, Table, compare_tables

SPARK_HOME = PROJECT_ROOT / "warehouse" / "spark"
CLV_STEP_SOURCE = "source:clv_spark_step+"


def mart_keys(manifest_path: Path) -> dict[str, list[str] | None]:
    """{mart name: key columns (None when it declares none)} of models/marts.

    The key is the primary-key constraint, else the columns of the mart's
    unique_combination_of_columns test.
    """
    manifest = json.loads(manifest_path.read_text())
    marts: dict[str, list[str] | None] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["fqn"][1:2] != ["marts"]:
            continue
        key: list[str] | None = None
        for constraint in node.get("constraints", []):
            if constraint["type"] == "primary_key":
                key = list(constraint["columns"])
        for column in node.get("columns", {}).values():
            for constraint in column.get("constraints", []):
                if constraint["type"] == "primary_key":
                    key = [column["name"]]
        marts[node["name"]] = key
    # large marts carry no primary-key index (DECISIONLOG.md): their key is
    # the one their unique_combination_of_columns test checks
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").split(".")[-1]
        if metadata.get("name") == "unique_combination_of_columns" and marts.get(model, 0) is None:
            kwargs = metadata.get("kwargs", {})
            marts[model] = list(kwargs.get("combination_of_columns", [])) or None
    return dict(sorted(marts.items()))


def duckdb_table(path: Path, name: str) -> Table:
    with duckdb.connect(str(path), read_only=True) as con:
        described = con.execute(f"describe marts.{name}").fetchall()
        rows = con.execute(f"select * from marts.{name}").fetchall()
    return Table([d[0] for d in described], [d[1] for d in described], rows)


def spark_table(spark: Any, name: str) -> Table:
    frame = spark.table(f"marts.{name}")
    rows = [tuple(row) for row in frame.collect()]
    return Table(frame.columns, [t for _, t in frame.dtypes], rows)


def build_duckdb_reference(raw: Path, path: Path, vars: dict[str, Any]) -> float:
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    env = dbt_env(
        raw_data_dir=raw, warehouse_path=path, target_path=PROJECT_ROOT / "target_spark_ref"
    )
    result = run_dbt(["build"], vars=vars or None, env=env)
    if not result.ok:
        sys.exit(f"DuckDB reference build failed:\n{result.output[-6000:]}")
    return time.perf_counter() - started


def dbt_spark(args: list[str], vars: dict[str, Any]) -> None:
    """One dbt invocation on the spark target, in this process (shared SparkSession)."""
    from dbt.cli.main import dbtRunner

    command = [*args, "--target", "spark", "--target-path", str(PROJECT_ROOT / "target_spark")]
    if vars:
        command += ["--vars", json.dumps(vars)]
    outcome = dbtRunner().invoke(command)
    if not outcome.success:
        sys.exit(
            f"dbt {' '.join(command)} failed on Spark: {outcome.exception or 'see the log above'}"
        )


def build_spark(raw: Path, home: Path, vars: dict[str, Any]) -> dict[str, float]:
    from retention.spark import clv_step
    from retention.spark.session import spark_session

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ.update(dbt_env(raw_data_dir=raw, extra={"SPARK_HOME_DIR": str(home)}))
    os.chdir(PROJECT_ROOT)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    dbt_spark(["build", "--exclude", CLV_STEP_SOURCE], vars)
    timings["dbt (before the CLV step)"] = time.perf_counter() - started
    step = clv_step.run(spark_session(), vars)
    timings["CLV step"] = step["seconds"]
    resumed = time.perf_counter()
    dbt_spark(["build", "--select", CLV_STEP_SOURCE], vars)
    timings["dbt (after the CLV step)"] = time.perf_counter() - resumed
    timings["total"] = time.perf_counter() - started
    return timings


def compare_marts(reference: Path, manifest: Path) -> list[Comparison]:
    from retention.spark.session import spark_session

    spark = spark_session()
    comparisons = []
    for name, key in mart_keys(manifest).items():
        comparison = compare_tables(
            name,
            duckdb_table(reference, name),
            spark_table(spark, name),
            key,
        )
        print(comparison.report(), flush=True)
        comparisons.append(comparison)
    return comparisons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--raw", type=Path, default=Path(os.environ.get("RAW_DATA_DIR", "data/sample"))
    )
    parser.add_argument(
        "--duckdb", type=Path, help="existing DuckDB build of the same data to compare with"
    )
    parser.add_argument(
        "--spark-home", type=Path, default=Path(os.environ.get("SPARK_HOME_DIR", SPARK_HOME))
    )
    parser.add_argument("--vars", default="{}", help="dbt vars as JSON, used by both builds")
    parser.add_argument(
        "--compare-only", action="store_true", help="compare the last Spark build again"
    )
    args = parser.parse_args(argv)
    raw = (PROJECT_ROOT / args.raw).resolve() if not args.raw.is_absolute() else args.raw
    home = args.spark_home.resolve()
    vars = json.loads(args.vars)

    reference = args.duckdb.resolve() if args.duckdb else home.parent / "spark_reference.duckdb"
    if args.duckdb is None and not args.compare_only:
        seconds = build_duckdb_reference(raw, reference, vars)
        print(f"DuckDB reference build: {seconds:.1f} s -> {reference}", flush=True)

    if args.compare_only:
        os.environ.update(dbt_env(raw_data_dir=raw, extra={"SPARK_HOME_DIR": str(home)}))
    else:
        timings = build_spark(raw, home, vars)
        print(
            "Spark build time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()),
            flush=True,
        )

    comparisons = compare_marts(reference, PROJECT_ROOT / "target_spark" / "manifest.json")
    different = [c.name for c in comparisons if not c.equal]
    equal = len(comparisons) - len(different)
    print(
        f"\n{equal} of {len(comparisons)} marts equal on Spark and DuckDB"
        + (f"; DIFFERENT: {', '.join(different)}" if different else ""),
        flush=True,
    )
    return 1 if different else 0


if __name__ == "__main__":
    raise SystemExit(main())
