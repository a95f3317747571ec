"""`python -m benchmarks --size 1M`: time the warehouse build and check it against two baselines.

Steps, on one cached dataset (see data.py) whose raw folder is first brought
to the export of the evening before its last day D (benchmarks/daily.py),
each in its own process so that its wall time and peak memory are its own:
1. dbt build of every model and test into a fresh bench DuckDB file;
2. Great Expectations validation of that warehouse;
3. BG/NBD + Gamma-Gamma fit alone, retention.clv vs lifetimes;
4. baseline A (hand-written DuckDB SQL) and baseline B (pandas) on the same
   raw folder, compared row by row with the warehouse's marts;
5. the one-day change: the raw folder rewritten in place to the export of D
   (only the files whose rows change), dbt build again on the same warehouse;
6. a build with no change: dbt build again, nothing rewritten; then once
   more without the dbt unit tests, as a scheduled build may run it; then
   once more after every raw file is written again with the same rows (new
   modification times, as an export job that rewrites its folder leaves
   them);
7. as_of_date one day later, nothing rewritten (``--vars``, parsed first,
   untimed): a morning without new data, so only the models that apply
   as_of_date have work. With step 6 it is the floor under any one-day
   change: what a daily build costs before a single raw row changes.
With ``--scaling`` (the default at 50M: 10M), a full build of the smaller
size's dataset runs right before and right after step 1, so that the size
ratio of the full builds is measured in one run, back to back (the host's
speed drifts by 20-30 % over hours).
Builds 5 to 7 are described by the warehouse's build log (meta.build_log):
what each model did and the rows it wrote.
Writes .bench/results/SIZE.json and the SIZE section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import psutil

from benchmarks import daily, report
from benchmarks.compare import compare_all
from benchmarks.data import BENCH_DIR, ensure_dataset, parse_size, size_label
from benchmarks.dbt_timing import DbtBuild, build_log, data_test_actions, dbt_build
from benchmarks.measure import Measured, run_measured
from retention.dbt import dbt_env, dbt_executable
from retention.disk import GB, free_bytes, low_disk_warning

BENCH_SALT = "retention-bench-synthetic-data"
STEPS = ("build", "validation", "clv", "baseline-a", "baseline-b", "change")
#: pandas bytes per order when no smaller run has been measured yet
DEFAULT_PANDAS_BYTES_PER_ORDER = 1_500


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


#: below this much free space on the bench's disk, a run warns: a near-full
#: disk slowed a 10M one-day change from about 100 to 147 s (BENCHMARKS.md)
LOW_DISK_GB = 20.0


def _log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def _json_tail(measured: Measured) -> dict[str, Any]:
    for line in reversed(measured.output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {}


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _build_step(build: DbtBuild) -> dict[str, Any]:
    step: dict[str, Any] = {
        "seconds": build.measured.seconds,
        "cpu_seconds": build.measured.cpu_seconds,
        "peak_gb": build.measured.peak_rss_gb,
        "sampled_peak_gb": build.measured.sampled_peak_gb,
        "high_water": build.high_water_rise(),
        "ok": build.ok,
        "models_seconds": build.seconds_of("model"),
        "tests_seconds": build.seconds_of("test") + build.seconds_of("unit_test"),
        "seeds_seconds": build.seconds_of("seed"),
        "models": [
            {
                "name": m.name,
                "materialized": m.materialized,
                "seconds": m.seconds,
                "peak_gb": build.peak_gb_during(m),
            }
            for m in build.models
        ],
    }
    if not build.ok:
        step["error_tail"] = build.measured.output[-3000:]
    return step


def _measured_step(measured: Measured) -> dict[str, Any]:
    step: dict[str, Any] = {
        "seconds": measured.seconds,
        "peak_gb": measured.peak_rss_gb,
        "ok": measured.ok,
        "parts": _json_tail(measured) if measured.ok else {},
    }
    if not measured.ok:
        step["error_tail"] = measured.output[-3000:]
        # a failed step has no meaningful time: reported (and left out of
        # the ratios) like a skipped one, with the error's last line
        lines = measured.output.strip().splitlines() or ["no output"]
        step["skipped"] = f"failed: {lines[-1][:200]}"
    return step


def _pandas_guard(orders: int) -> str | None:
    """Why baseline B would not fit in memory, or None."""
    per_order = DEFAULT_PANDAS_BYTES_PER_ORDER
    measured = []
    for file in (BENCH_DIR / "results").glob("*.json"):
        try:
            previous = json.loads(file.read_text())
            b = previous["steps"]["baseline_b"]
            if b.get("ok") and b.get("peak_gb"):
                measured.append(b["peak_gb"] * 1024**3 / previous["data"]["orders"])
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            continue
    if measured:
        per_order = max(measured)
    estimate = per_order * orders
    available = psutil.virtual_memory().available
    if estimate > 0.8 * available:
        return (
            f"pandas would need about {estimate / 1024**3:.0f} GB "
            f"({per_order:,.0f} bytes per order, measured on smaller runs), "
            f"more than 80 % of the {available / 1024**3:.0f} GB available"
        )
    return None


def _customers(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (customers,) = con.execute("select count(*) from marts.dim_customers").fetchone()
    return int(customers)


def logged_step(build: DbtBuild, warehouse: Path, target: Path) -> dict[str, Any]:
    """A build's step, with what its build log says each model and seed did."""
    step = _build_step(build)
    if not (target / "run_results.json").exists():
        return step
    logged = build_log(warehouse, target)
    actions: dict[str, int] = {}
    for node in logged:
        actions[node.action] = actions.get(node.action, 0) + 1
    seconds = {m.name: m.seconds for m in build.models}
    materialized = {m.name: m.materialized for m in build.models}
    orders = next((node for node in logged if node.name == "base_shop__orders"), None)
    step["build_log"] = {
        "nodes": len(logged),
        "actions": dict(sorted(actions.items())),
        "rows_written": sum(node.rows_written for node in logged),
        "data_tests": data_test_actions(warehouse, target),
        # base_shop__orders: the raw order rows validated again (the changed buckets)
        "orders_revalidated": None if orders is None else orders.rows_inserted,
        "orders_rows": None if orders is None else orders.rows_after,
        "logged": [
            {
                "name": node.name,
                "action": node.action,
                "materialized": materialized.get(node.name),
                "seconds": seconds.get(node.name),
                "rows_written": node.rows_written,
                "rows_inserted": node.rows_inserted,
                "rows_deleted": node.rows_deleted,
                "rows_after": node.rows_after,
            }
            for node in logged
        ],
    }
    return step


def scaling_reference(size: str, orders: int) -> int | None:
    """The orders of the --scaling reference size, or None: ``auto`` is 10M for 50M."""
    if size == "none":
        return None
    if size == "auto":
        return parse_size("10M") if size_label(orders) == "50M" else None
    reference = parse_size(size)
    if reference >= orders:
        raise SystemExit(f"--scaling {size}: the reference must be smaller than the run's size")
    return reference


def reference_build(
    reference: int, args: argparse.Namespace, work: Path, extra_env: dict[str, str], when: str
) -> dict[str, Any]:
    """A full build of the reference size's dataset into a scratch warehouse (then deleted)."""
    dataset = ensure_dataset(reference, args.stores, args.seed, None, log=_log)
    daily.write_state(dataset.full_dir, dataset.daily_dir, "before", dataset.last_day)
    scratch = work / f"scaling_{size_label(reference)}"
    warehouse, target = scratch / "warehouse.duckdb", scratch / "target"
    # parsed first, untimed, like the run's own build
    run_measured(
        [dbt_executable(), "parse"], env=dbt_env(dataset.daily_dir, warehouse, target, extra_env)
    )
    _log(f"scaling: full build of {size_label(reference)} {when} ...")
    build = dbt_build(dataset.daily_dir, warehouse, target, extra_env=extra_env)
    shutil.rmtree(scratch, ignore_errors=True)
    _log(f"scaling: {size_label(reference)} {when}: {build.measured.seconds:.1f} s")
    if not build.ok:
        print(build.measured.output[-4000:])
        raise SystemExit(f"the {size_label(reference)} reference build failed")
    return {
        "when": when,
        "seconds": build.measured.seconds,
        "cpu_seconds": build.measured.cpu_seconds,
        "peak_gb": build.measured.peak_rss_gb,
    }


def scaling_step(
    build_seconds: float, label: str, references: list[dict[str, Any]]
) -> dict[str, Any]:
    """The full build ÷ the reference builds around it (lowest and highest ratio)."""
    seconds = [r["seconds"] for r in references]
    return {
        "reference": label,
        "builds": references,
        "ratio": build_seconds / (sum(seconds) / len(seconds)),
        "ratio_low": build_seconds / max(seconds),
        "ratio_high": build_seconds / min(seconds),
    }


#: the steps that build on the one-day change's warehouse, in their order
STEPS_AFTER_THE_CHANGE = (
    "no_change_build",
    "no_change_build_without_unit_tests",
    "same_content_build",
    "as_of_date_build",
)


def change_builds(
    dataset_full: Path,
    raw: Path,
    warehouse: Path,
    target: Path,
    extra_env: dict[str, str],
    steps: dict[str, Any],
    build_args: tuple[str, ...] = (),
) -> None:
    """Steps 5 to 7: the one-day change on the built warehouse, no change, as_of_date moved."""
    _log("one-day change: raw folder rewritten to the export of the last day ...")
    written = daily.write_state(dataset_full, raw, "after")
    _log(f"one-day change: {len(written.rewritten)} files rewritten, {written.unchanged} unchanged")
    change = dbt_build(raw, warehouse, target, fresh=False, extra_env=extra_env, args=build_args)
    steps["change_build"] = {**logged_step(change, warehouse, target), "files": written.as_dict()}
    _log(
        f"one-day change build: {change.measured.seconds:.1f} s, "
        f"{change.measured.cpu_seconds:.1f} CPU s, peak {change.measured.peak_rss_gb:.2f} GB, "
        f"{steps['change_build'].get('build_log', {}).get('actions')}"
    )
    if not change.ok:
        for name in STEPS_AFTER_THE_CHANGE:
            steps[name] = {"skipped": "the one-day change build failed"}
        return
    unchanged = daily.write_state(dataset_full, raw, "after")
    if unchanged.rewritten or unchanged.removed:
        raise SystemExit(f"writing the same state again changed files: {unchanged}")
    again = dbt_build(raw, warehouse, target, fresh=False, extra_env=extra_env, args=build_args)
    steps["no_change_build"] = logged_step(again, warehouse, target)
    _log(
        f"no-change build: {again.measured.seconds:.1f} s, rows written "
        f"{steps['no_change_build'].get('build_log', {}).get('rows_written')}"
    )
    # as a scheduled build may run it (README "Daily builds are incremental"):
    # the unit tests read their given rows, not the warehouse
    scheduled = dbt_build(
        raw,
        warehouse,
        target,
        fresh=False,
        extra_env={**extra_env, "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test"},
        args=build_args,
    )
    steps["no_change_build_without_unit_tests"] = logged_step(scheduled, warehouse, target)
    _log(f"no-change build without the unit tests: {scheduled.measured.seconds:.1f} s")
    # every raw file written again with the same rows, as by an export job that
    # rewrites its whole folder each day: a new modification time, no new row
    touched = touch_files(raw)
    same = dbt_build(raw, warehouse, target, fresh=False, extra_env=extra_env, args=build_args)
    steps["same_content_build"] = {**logged_step(same, warehouse, target), "touched": touched}
    _log(
        f"every raw file written again ({touched} files, same rows): "
        f"{same.measured.seconds:.1f} s, rows written "
        f"{steps['same_content_build'].get('build_log', {}).get('rows_written')}"
    )
    # step 7: as_of_date one day after the export's last day, no raw file rewritten
    next_day = daily.last_day(dataset_full) + timedelta(days=1)
    moved = ("--vars", json.dumps({"as_of_date": next_day.isoformat()}))
    # a changed var makes dbt parse the project again: untimed, as the run's first parse
    run_measured(
        [dbt_executable(), "parse", *moved], env=dbt_env(raw, warehouse, target, extra_env)
    )
    _log(f"as_of_date one day later ({next_day}), no raw change ...")
    build = dbt_build(
        raw, warehouse, target, fresh=False, extra_env=extra_env, args=(*build_args, *moved)
    )
    step = {**logged_step(build, warehouse, target), "as_of_date": str(next_day)}
    steps["as_of_date_build"] = step
    _log(
        f"as_of_date one day later: {build.measured.seconds:.1f} s, rows written "
        f"{step.get('build_log', {}).get('rows_written')}"
    )


def touch_files(folder: Path) -> int:
    """Give every file under ``folder`` the current modification time; how many."""
    now = time.time()
    files = [path for path in sorted(folder.rglob("*")) if path.is_file()]
    for path in files:
        os.utime(path, (now, now))
    return len(files)


def run(args: argparse.Namespace) -> dict[str, Any]:
    orders = parse_size(args.size)
    label = size_label(orders)
    skip = set(args.skip or ())
    work = Path(args.workdir) if args.workdir else BENCH_DIR / "runs" / label
    work.mkdir(parents=True, exist_ok=True)
    load_before = _load()
    free = free_bytes(work)
    disk_free_gb = free / GB
    _log(f"size {label}: load average {load_before}, {disk_free_gb:.0f} GB free on disk")
    disk_warning = low_disk_warning(work, free, int(LOW_DISK_GB * GB), "the bench wants")
    if disk_warning:
        _log(disk_warning)
    dataset = ensure_dataset(orders, args.stores, args.seed, args.raw_dir, log=_log)
    raw = dataset.daily_dir
    _log(f"data: raw folder {raw} to the export of the evening before {dataset.last_day} ...")
    daily.write_state(dataset.full_dir, raw, "before", dataset.last_day)
    change = daily.change_facts(dataset.full_dir, dataset.last_day)
    warehouse = work / "warehouse.duckdb"
    target = work / "target"
    steps: dict[str, Any] = {}

    extra_env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # generated data holds no real address: without PII_HASH_SALT the build
    # and both baselines (subprocesses inheriting os.environ) share this salt
    os.environ.setdefault("PII_HASH_SALT", BENCH_SALT)
    env = dbt_env(raw, warehouse, target, extra_env)
    _log("dbt parse (not timed as part of the build) ...")
    parse = run_measured([dbt_executable(), "parse"], env=env)
    steps["dbt_parse"] = {"seconds": parse.seconds, "ok": parse.ok}

    if "build" in skip:
        raise SystemExit("the dbt build step cannot be skipped: the others need its warehouse")
    reference = scaling_reference(args.scaling, orders)
    references = (
        [] if reference is None else [reference_build(reference, args, work, extra_env, "before")]
    )
    _log("dbt build (full, fresh warehouse) ...")
    build = dbt_build(raw, warehouse, target, fresh=True, extra_env=extra_env)
    steps["dbt_build"] = _build_step(build)
    _log(f"dbt build: {build.measured.seconds:.1f} s, peak {build.measured.peak_rss_gb:.2f} GB")
    if not build.ok:
        print(build.measured.output[-4000:])
        raise SystemExit("dbt build failed")
    if reference is not None:
        references.append(reference_build(reference, args, work, extra_env, "after"))
        steps["scaling"] = scaling_step(build.measured.seconds, size_label(reference), references)
        _log(f"scaling: {label} ÷ {size_label(reference)} = {steps['scaling']['ratio']:.2f}")
    customers = _customers(warehouse)

    if "validation" in skip:
        steps["validation"] = {"skipped": "--skip validation"}
    else:
        _log("Great Expectations validation ...")
        measured = run_measured(
            _python("retention.validate", "--warehouse", str(warehouse)), env=env
        )
        steps["validation"] = _measured_step(measured)
        _log(f"validation: {measured.seconds:.1f} s (exit {measured.returncode})")

    if "clv" in skip:
        steps["clv_fit"] = {"skipped": "--skip clv"}
    else:
        _log(f"CLV fit alone, ours vs lifetimes (at most {args.clv_customers:,} customers) ...")
        measured = run_measured(
            _python(
                "benchmarks.clv_fit",
                str(warehouse),
                "--max-customers",
                str(args.clv_customers),
            )
        )
        steps["clv_fit"] = {**_json_tail(measured), "ok": measured.ok}
        if not measured.ok:
            steps["clv_fit"]["skipped"] = "failed: " + measured.output[-300:]
        _log(f"CLV fit: {steps['clv_fit']}")

    baseline_a = work / "baseline_a.duckdb"
    baseline_b = work / "baseline_b"
    ran_a = ran_b = False
    if "baseline-a" in skip:
        steps["baseline_a"] = {"skipped": "--skip baseline-a"}
    else:
        _log("baseline A: hand-written DuckDB SQL ...")
        # the same DuckDB memory limit as the warehouse build (profiles.yml)
        limit = os.environ.get("DUCKDB_MEMORY_LIMIT", "2GB")
        measured = run_measured(
            _python(
                "benchmarks.baseline_duckdb",
                *(str(raw), str(baseline_a), "--memory-limit", limit),
            )
        )
        steps["baseline_a"] = _measured_step(measured)
        ran_a = measured.ok
        _log(f"baseline A: {measured.seconds:.1f} s, peak {measured.peak_rss_gb:.2f} GB")

    guard = None if args.pandas == "always" else _pandas_guard(orders)
    if "baseline-b" in skip or args.pandas == "never":
        steps["baseline_b"] = {"skipped": "not requested"}
    elif guard:
        steps["baseline_b"] = {"skipped": guard}
        _log(f"baseline B skipped: {guard}")
    else:
        _log("baseline B: pandas ...")
        measured = run_measured(_python("benchmarks.baseline_pandas", str(raw), str(baseline_b)))
        steps["baseline_b"] = _measured_step(measured)
        ran_b = measured.ok
        _log(f"baseline B: {measured.seconds:.1f} s, peak {measured.peak_rss_gb:.2f} GB")

    # the marts of the state before the change: compared before the change build
    comparisons = compare_all(
        warehouse, baseline_a if ran_a else None, baseline_b if ran_b else None
    )
    for comparison in comparisons:
        _log(comparison.line())

    if "change" in skip:
        for name in ("change_build", *STEPS_AFTER_THE_CHANGE):
            steps[name] = {"skipped": "--skip change"}
    else:
        change_builds(dataset.full_dir, raw, warehouse, target, extra_env, steps)

    return {
        "label": label,
        "finished_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "load_before": load_before,
        "disk_free_gb": round(disk_free_gb, 1),
        "load_after": _load(),
        "machine": report.machine(),
        "data": {
            "orders": change["orders_before"],
            "customers": customers,
            "stores": dataset.stores,
            "seed": dataset.seed,
            "change": change,
        },
        "steps": steps,
        "comparisons": [c.line() for c in comparisons],
        "comparisons_ok": all(c.ok for c in comparisons),
    }


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--size", default="1M", help="orders: 1M (default), 10M, 50M, or e.g. 20k")
    p.add_argument("--stores", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--raw-dir", type=Path, default=None, help="reuse already generated files")
    p.add_argument("--skip", action="append", choices=STEPS[1:], help="skip a step (repeatable)")
    p.add_argument("--pandas", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--clv-customers", type=int, default=1_000_000)
    p.add_argument(
        "--scaling",
        default="auto",
        help="a smaller size built right before and after the full build, for the size ratio "
        "in one run: e.g. 10M, none, or auto (10M when --size is 50M, else none)",
    )
    p.add_argument("--workdir", type=Path, default=None, help="default .bench/runs/SIZE")
    p.add_argument("--no-report", action="store_true", help="do not touch BENCHMARKS.md")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite BENCHMARKS.md from the saved results (.bench/results/*.json), run nothing",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.report_only:
        for file in sorted((BENCH_DIR / "results").glob("*.json")):
            report.update_benchmarks(json.loads(file.read_text()))
        print(f"rewrote {report.BENCHMARKS}")
        return 0
    start = time.perf_counter()
    result = run(args)
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_report:
        (results_dir / f"{result['label']}.json").write_text(json.dumps(result, indent=2))
        report.update_benchmarks(result)
    print()
    print(report.section(result))
    _log(
        f"done in {time.perf_counter() - start:.0f} s"
        + ("" if args.no_report else "; BENCHMARKS.md updated")
    )
    return 0 if result["comparisons_ok"] else 1
