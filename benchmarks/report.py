"""Render benchmark results as Markdown and keep BENCHMARKS.md up to date.

BENCHMARKS.md holds one section per size between ``<!-- bench:SIZE:start -->``
and ``<!-- bench:SIZE:end -->`` markers; a run replaces its own section and the
machine description, and keeps everything else (the closing notes) as written.
README.md's results table and its lists of targets met and not met, between
``<!-- bench:summary:start -->`` and ``<!-- bench:summary:end -->``, are
written from the same saved results (``summary_markdown``).
"""

from __future__ import annotations

import json
import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from benchmarks.data import BENCH_DIR
from retention.dbt import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "BENCHMARKS.md"
README = PROJECT_ROOT / "README.md"
SIZE_ORDER = ("1M", "10M", "50M")

TEMPLATE = """# Benchmarks

`make bench` (or `make bench BENCH_SIZE=10M`, `BENCH_SIZE=50M`) generates the
data once (cached under `.bench/`), then measures on the same data, in one
run: the full `dbt build` into a fresh warehouse (per model, from dbt's
`run_results.json`), Great Expectations validation, the BG/NBD + Gamma-Gamma
fit alone (against the `lifetimes` package), two baselines computing the same
marts without dbt: **A**, hand-written DuckDB SQL in one script
(`benchmarks/baseline_duckdb.py`, the floor), and **B**, pandas
(`benchmarks/baseline_pandas.py`, what an analyst would write), then the
**one-day change** and a **build with no change** on the same warehouse.
A 50M run also builds the 10M dataset right before and right after its
full build (`--scaling`), so that 50M ÷ 10M is measured back to back.
Both baselines' results are compared row by row with the warehouse's marts
before the change. Peak memory is the peak resident set size of the process
tree (like `/usr/bin/time -v`), CPU time the user + system time of the
process and its children. Each size's section below is rewritten by its run.

The one-day change is what a store's daily export does to one raw folder,
rewritten in place (`benchmarks/daily.py`; DECISIONLOG.md, "Benchmark: the
one-day change is one raw folder rewritten in place"). Orders are a folder
table, one Parquet file per month (`orders/YYYY-MM.parquet`, rows in the
order they reached the shop: a late order last); the other tables are
single files, as the generator writes them. The full build reads
the export of the evening before the generated history's last day D: recent
orders still `pending` (each order has a fulfilment lag of 0-3 days), orders
refunded later still `completed` (their refunds not issued yet), and a few
orders withheld (0.5 % of the last 7 days' orders and one order in each of
3 older months). The change build reads the export of D: the day's orders,
refunds, customers and carts appended, the pending orders whose lag ended
completed, the day's refunds issued, the withheld orders arriving late, and
one completed order in each of 3 old months cancelled. Only the files whose
rows change are rewritten (the month files touched, plus the single-file
customers, refunds and carts). The build log (`meta.build_log`) of each
build gives what every model did (skipped, incremental, rebuilt, view) and
the rows it wrote, and how many raw order rows `base_shop__orders`
re-validated; the build with no change must write 0 rows.

<!-- machine:start -->
<!-- machine:end -->

## Results

## Targets

<!-- targets:start -->
<!-- targets:end -->
"""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": {
            p: _version(p) for p in ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "lifetimes")
        },
    }


def machine_markdown(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    return (
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, "
        f"{info['os']}; Python {info['python']}, {versions}. The machine is shared: "
        "each table gives the load average when it was measured."
    )


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _gb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _measured(step: dict[str, Any], key: str = "seconds") -> float | None:
    """A step's measurement, or None when it was skipped or failed (a failed
    build's time is not a measurement)."""
    if step.get("skipped") or step.get("ok") is False:
        return None
    value = step.get(key)
    return None if value is None else float(value)


def _failure(step: dict[str, Any]) -> str:
    """The note of a failed step: its last error line."""
    errors = [
        line.strip()
        for line in str(step.get("error_tail", "")).splitlines()
        if "Error" in line and "Runtime Error" not in line
    ]
    reason = (errors[-1] if errors else "see its log")[:160].replace("|", "/")
    return f"**failed** ({reason}); not a measurement"


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _verdict(value: float | None, limit: float, below: bool) -> str:
    if value is None:
        return "not measured"
    met = value <= limit if below else value >= limit
    return "met" if met else "**not met**"


#: the one-day change build ÷ full build, by size (issue 18); other sizes: reported only
CHANGE_TARGETS = {"10M": 0.10, "50M": 0.05}
#: issue 18's memory target: peak RSS of the 50M build (process tree)
PEAK_GB_50M = 4.0
#: issue 18's scaling target: the 50M full build ÷ the 10M one
SIZE_RATIO_50M = 5.5
#: a kept row of an earlier run says so in its measured cell
EARLIER = "earlier run"


def _data_line(r: dict[str, Any]) -> str:
    data = r["data"]
    change = data.get("change")
    head = (
        f"Measured {r['finished_at']} UTC; load average before / after: "
        f"{r['load_before']} / {r['load_after']} on {r['machine']['cores']} cores"
        + (f", {r['disk_free_gb']:.0f} GB free on disk. " if "disk_free_gb" in r else ". ")
    )
    if not change:  # a result of the older harness (a one-day append on another folder)
        return head + (
            f"Data: {data.get('orders', 0):,} orders in the full build "
            f"({data.get('stores')} stores, seed {data.get('seed')}); "
            f"{data.get('customers', 0):,} customers; the append adds the "
            f"{data.get('append_orders', 0):,} orders of {data.get('append_day')}."
        )
    return head + (
        f"Data: {data['orders']:,} orders in the full build ({data['stores']} stores, "
        f"seed {data['seed']}; the export of the evening before {change['day']}), "
        f"{data['customers']:,} customers. The one-day change (the export of "
        f"{change['day']}, same raw folder): {change['appended']:,} orders of the day "
        f"appended, {change['late']:,} late orders arriving (dated in "
        f"{change['late_months']} earlier months), {change['completed']:,} pending orders "
        f"completed, {change['refunded']:,} orders refunded ({change['refunds_issued']:,} "
        f"refunds issued that day), {change['cancelled_in_old_months']} completed orders of "
        f"old months cancelled."
    )


def _files_line(files: dict[str, Any] | None) -> str:
    if not files:
        return ""
    rewritten = files.get("rewritten", [])
    return (
        f"; files rewritten: {len(rewritten)} of {len(rewritten) + files.get('unchanged', 0)} "
        f"({', '.join(rewritten)})"
    )


def _log_note(step: dict[str, Any]) -> str:
    log = step.get("build_log")
    if not log:
        return ""
    actions = ", ".join(f"{n} {a}" for a, n in log["actions"].items())
    note = (
        f"{_s(step.get('cpu_seconds'))} CPU s; build log: {log['nodes']} models and seeds "
        f"({actions}), {log['rows_written']:,} rows written"
    )
    tests = log.get("data_tests")
    if tests:
        note += "; data tests: " + ", ".join(f"{n} {a}" for a, n in tests.items())
    if log.get("orders_revalidated") is not None and log.get("orders_rows"):
        share = log["orders_revalidated"] / log["orders_rows"]
        note += (
            f"; base_shop__orders re-validated {log['orders_revalidated']:,} of "
            f"{log['orders_rows']:,} rows ({share:.2%})"
        )
    return note


def _peak_note(build: dict[str, Any]) -> str:
    """Where the build's peak memory was set, when no poll of the process
    tree saw it (a spike shorter than the 0.1 s poll, benchmarks/measure.py)."""
    peak, sampled = build.get("peak_gb"), build.get("sampled_peak_gb")
    if not peak or not sampled or peak <= sampled * 1.1:
        return ""
    note = f"; the largest process-tree RSS a poll saw: {sampled:.2f} GB"
    high_water = build.get("high_water")
    if high_water:
        name, reached = high_water
        note += f"; the process's high-water mark rose most during {name} (to {reached:.2f} GB)"
    return note


def _change_tables(change: dict[str, Any]) -> list[str]:
    """The one-day change build's slowest models, with what each did (build log)."""
    logged = {n["name"]: n for n in change.get("build_log", {}).get("logged", [])}
    models = change.get("models", [])
    if not models:
        return []
    lines = [
        "",
        "One-day change build, slowest models (time from run_results.json, action and rows "
        "written from meta.build_log):",
        "",
        "| model | materialized | action | rows written | seconds |",
        "|---|---|---|---:|---:|",
    ]
    for m in models[:12]:
        entry = logged.get(m["name"], {})
        written = entry.get("rows_written")
        lines.append(
            f"| {m['name']} | {m['materialized']} | {entry.get('action', '-')} | "
            f"{'-' if written is None else f'{written:,}'} | {m['seconds']:.1f} |"
        )
    return lines


def section(r: dict[str, Any]) -> str:
    """The Markdown section of one run (dict written by benchmarks.cli)."""
    steps = r["steps"]
    build = steps.get("dbt_build", {})
    change = steps.get("change_build", {})
    no_change = steps.get("no_change_build", {})
    scheduled = steps.get("no_change_build_without_unit_tests", {})
    same_content = steps.get("same_content_build", {})
    moved = steps.get("as_of_date_build", {})
    validation = steps.get("validation", {})
    clv = steps.get("clv_fit", {})
    a = steps.get("baseline_a", {})
    b = steps.get("baseline_b", {})
    lines = [
        f"### {r['label']} orders",
        "",
        _data_line(r),
        "",
        "| step | time (s) | peak memory (GB) | note |",
        "|---|---:|---:|---|",
    ]

    def row(name: str, step: dict[str, Any], note: str = "") -> None:
        if step.get("skipped"):
            reason = " ".join(str(step["skipped"]).split())[-200:].replace("|", "/")
            lines.append(f"| {name} | - | - | skipped: {reason} |")
        elif step.get("ok") is False:
            lines.append(
                f"| {name} | {_s(step.get('seconds'))} | {_gb(step.get('peak_gb'))} | "
                f"{_failure(step)} |"
            )
        elif step:
            lines.append(
                f"| {name} | {_s(step.get('seconds'))} | {_gb(step.get('peak_gb'))} | {note} |"
            )

    row(
        "dbt build, all models and tests",
        build,
        f"{_s(build.get('cpu_seconds'))} CPU s; "
        f"sums of dbt's node times (nodes run concurrently): models "
        f"{_s(build.get('models_seconds'))} s, tests {_s(build.get('tests_seconds'))} s, "
        f"seeds {_s(build.get('seeds_seconds'))} s; "
        f"parse {_s(steps.get('dbt_parse', {}).get('seconds'))} s before, not included"
        + _peak_note(build),
    )
    scaling = steps.get("scaling")
    if scaling:
        for reference in scaling["builds"]:
            row(
                f"{scaling['reference']} full build, {reference['when']} the one above",
                reference,
                f"{_s(reference.get('cpu_seconds'))} CPU s; the size ratio's reference",
            )
    row(
        "one-day change: dbt build",
        change,
        _log_note(change) + _files_line(change.get("files")),
    )
    row("build with no change: dbt build", no_change, _log_note(no_change))
    row(
        "the same, unit tests left out (`DBT_EXCLUDE_RESOURCE_TYPES=unit_test`)",
        scheduled,
        _log_note(scheduled),
    )
    row(
        "every raw file written again with the same rows: dbt build",
        same_content,
        _log_note(same_content),
    )
    row(
        f"as_of_date one day later ({moved.get('as_of_date', 'the next day')}), "
        "no raw change: dbt build",
        moved,
        _log_note(moved),
    )
    old_append = steps.get("append_build")
    if old_append:
        row("one-day append (older harness): dbt build", old_append, old_append.get("note", ""))
    row("Great Expectations validation", validation)
    row(
        "BG/NBD + Gamma-Gamma fit (retention.clv)"
        + (f", {clv['customers']:,} customers" if clv.get("customers") else ""),
        {**clv, "seconds": clv.get("ours_seconds")},
        f"{clv.get('bgnbd_unique_rows', 0):,} unique BG/NBD rows"
        + ("" if clv.get("ours_converged", True) else "; **did not converge**"),
    )
    if clv.get("lifetimes_seconds") is not None:
        lines.append(
            f"| same fit, lifetimes 0.11 | {_s(clv['lifetimes_seconds'])} | - | "
            f"largest relative parameter difference "
            f"{clv.get('max_relative_parameter_difference', float('nan')):.1e} |"
        )
    row("baseline A: hand-written DuckDB SQL", a)
    row("baseline B: pandas", b)

    build_s = _measured(build)
    ratios = [
        ("dbt build ÷ baseline A", _ratio(build_s, a.get("seconds")), "≤ 1.5", 1.5, True),
        ("baseline B ÷ dbt build", _ratio(b.get("seconds"), build_s), "≥ 3", 3.0, False),
        ("validation ÷ build", _ratio(validation.get("seconds"), build_s), "≤ 0.20", 0.20, True),
        (
            "lifetimes ÷ retention.clv (fit)",
            _ratio(clv.get("lifetimes_seconds"), clv.get("ours_seconds")),
            "> 1",
            1.0,
            False,
        ),
    ]
    lines += ["", "| ratio | value | target | verdict at this size |", "|---|---:|---|---|"]
    change_s = _measured(change)
    limit = CHANGE_TARGETS.get(r["label"])
    value = _ratio(change_s, build_s)
    shown = "-" if value is None else f"{value:.3f}"
    if limit is None:
        lines.append(
            f"| one-day change ÷ full build (time) | {shown} | ≤ 0.10 at 10M, ≤ 0.05 at 50M | "
            "reported only at this size |"
        )
    else:
        lines.append(
            f"| one-day change ÷ full build (time) | {shown} | ≤ {limit:.2f} | "
            f"{_verdict(value, limit, True)} |"
        )
    value = _ratio(_measured(change, "cpu_seconds"), _measured(build, "cpu_seconds"))
    shown = "-" if value is None else f"{value:.3f}"
    lines.append(f"| one-day change ÷ full build (CPU) | {shown} | - | reported |")
    # the floor under any one-day change: no change at all, and as_of_date moved alone
    for name, step in (
        ("build with no change", no_change),
        ("as_of_date one day later, no raw change", moved),
    ):
        value = _ratio(_measured(step), build_s)
        if value is not None:
            lines.append(
                f"| {name} ÷ full build (time) | {value:.3f} | - | "
                "reported: a floor under the one-day change |"
            )
    written = no_change.get("build_log", {}).get("rows_written")
    lines.append(
        f"| build with no change: rows written (build log) | "
        f"{'-' if written is None else f'{written:,}'} | 0 | "
        f"{'not measured' if written is None else ('met' if written == 0 else '**not met**')} |"
    )
    for name, value, target, limit, below in ratios:
        shown = "-" if value is None else f"{value:.2f}"
        lines.append(f"| {name} | {shown} | {target} | {_verdict(value, limit, below)} |")
    if scaling:
        lines.append(
            f"| full build ÷ {scaling['reference']} full build (built before and after) | "
            f"{scaling['ratio']:.2f} ({scaling['ratio_low']:.2f}-{scaling['ratio_high']:.2f}) | "
            f"≤ {SIZE_RATIO_50M:g} (50M ÷ 10M) | "
            f"{_verdict(scaling['ratio'], SIZE_RATIO_50M, True)} |"
        )
    peak = build.get("peak_gb")
    if peak is not None:
        lines.append(
            f"| dbt build peak memory (GB) | {peak:.2f} | < {PEAK_GB_50M:g} (at 50M) | "
            f"{_verdict(peak, PEAK_GB_50M, True)} |"
        )

    for name, step in (("A (DuckDB)", a), ("B (pandas)", b)):
        parts = step.get("parts")
        if parts:
            shown = ", ".join(f"{k} {v:.1f}" for k, v in parts.items() if k != "total")
            lines += ["", f"Baseline {name} seconds per step: {shown}."]

    models = build.get("models", [])
    if models:
        lines += [
            "",
            "Slowest dbt models (execution time from run_results.json; peak: the largest "
            "RSS of the build's process tree while the model ran, shared with the model "
            "running beside it):",
            "",
            "| model | materialized | seconds | peak (GB) |",
            "|---|---|---:|---:|",
        ]
        lines += [
            f"| {m['name']} | {m['materialized']} | {m['seconds']:.1f} | {_gb(m.get('peak_gb'))} |"
            for m in models[:12]
        ]
    lines += _change_tables(change)

    comparisons = r.get("comparisons", [])
    if comparisons:
        lines += ["", "Correctness (warehouse marts vs baselines, row by row):", ""]
        lines += [f"- {c}" for c in comparisons]
    return "\n".join(lines) + "\n"


def _load_results(directory: Path) -> dict[str, dict[str, Any]]:
    results = {}
    for file in sorted(directory.glob("*.json")):
        try:
            result = json.loads(file.read_text())
            results[result["label"]] = result
        except (ValueError, KeyError):
            continue
    return results


def _size_ratio(
    results: dict[str, dict[str, Any]], build50: float | None, build10: float | None
) -> tuple[float | None, str]:
    """50M ÷ 10M and its unit: from the 50M run's back-to-back 10M builds (--scaling)
    when it has them, else from the two sizes' own runs (made hours apart: less reliable)."""
    scaling = results.get("50M", {}).get("steps", {}).get("scaling", {})
    if build50 is not None and scaling.get("reference") == "10M":
        return scaling["ratio"], "ratio, 10M built before and after"
    return _ratio(build50, build10), "ratio of separate runs"


def targets_markdown(
    results: dict[str, dict[str, Any]], previous: dict[str, str] | None = None
) -> str:
    """The issue's targets, each checked on the size it names (from .bench/results).

    Each target has a fixed name. A target the saved results do not measure
    keeps its row of ``previous`` (the table as BENCHMARKS.md holds it) when
    that row holds a measurement, marked as from an earlier run."""
    previous = previous or {}

    def step(label: str, name: str) -> dict[str, Any]:
        return results.get(label, {}).get("steps", {}).get(name, {})

    def seconds(label: str, name: str) -> float | None:
        return _measured(step(label, name))

    build10, build50 = seconds("10M", "dbt_build"), seconds("50M", "dbt_build")
    peak = (
        None if step("50M", "dbt_build").get("skipped") else step("50M", "dbt_build").get("peak_gb")
    )
    size_ratio, size_unit = _size_ratio(results, build50, build10)
    rows: list[tuple[str, float | None, float, bool, str]] = [
        (
            "10M: dbt build ≤ 1.5 times baseline A",
            _ratio(build10, seconds("10M", "baseline_a")),
            1.5,
            True,
            "ratio",
        ),
        (
            "10M: baseline B ≥ 3 times the dbt build",
            _ratio(seconds("10M", "baseline_b"), build10),
            3.0,
            False,
            "ratio",
        ),
        (
            f"50M: full build ≤ {SIZE_RATIO_50M:g} times the 10M one",
            size_ratio,
            SIZE_RATIO_50M,
            True,
            size_unit,
        ),
        (f"50M: dbt build peak memory < {PEAK_GB_50M:g} GB", peak, PEAK_GB_50M, True, "GB"),
    ]
    for label, limit in CHANGE_TARGETS.items():
        value = _ratio(seconds(label, "change_build"), seconds(label, "dbt_build"))
        name = f"{label}: one-day change ≤ {limit:.0%} of the full build"
        floor = _ratio(seconds(label, "as_of_date_build"), seconds(label, "dbt_build"))
        unit = "ratio" if floor is None else f"ratio; as_of_date moved alone: {floor:.2f}"
        rows.append((name, value, limit, True, unit))
    written = step("10M", "no_change_build").get("build_log", {}).get("rows_written")
    rows.append(("10M: build with no change writes 0 rows", written, 0, True, "rows"))
    value = _ratio(seconds("1M", "validation"), seconds("1M", "dbt_build"))
    rows.append(("1M: validation ≤ 20 % of the build", value, 0.20, True, "ratio"))
    # the fit alone, on at most --clv-customers customers of whichever run measured it
    fits = [step(label, "clv_fit") for label in SIZE_ORDER]
    clv = next((fit for fit in reversed(fits) if fit.get("lifetimes_seconds")), {})
    value = _ratio(clv.get("lifetimes_seconds"), clv.get("ours_seconds"))
    unit = f"lifetimes ÷ ours, {clv.get('customers', 0):,} customers"
    rows.append(("CLV fit faster than lifetimes", value, 1.0, False, unit))
    lines = ["| target | measured | verdict |", "|---|---:|---|"]
    for name, value, limit, below, unit in rows:
        if value is None and name in previous:  # measured by an earlier run, kept
            row = previous[name]
            if EARLIER not in row:
                cells = row.strip("|").split("|")
                cells[1] = f" {cells[1].strip()}, {EARLIER} "
                row = "|" + "|".join(cells) + "|"
            lines.append(row)
            continue
        shown = "-" if value is None else f"{value:.2f} ({unit})"
        if unit == "rows" and value is not None:
            shown = f"{value:,} ({unit})"
        lines.append(f"| {name} | {shown} | {_verdict(value, limit, below)} |")
    return "\n".join(lines)


def block(name: str) -> re.Pattern[str]:
    """A generated block of a Markdown file, its body in group 1:
    ``<!-- NAME:start -->`` to ``<!-- NAME:end -->``."""
    name = re.escape(name)
    return re.compile(rf"<!-- {name}:start -->(.*?)<!-- {name}:end -->", re.S)


def _fill_block(text: str, name: str, body: str) -> str:
    """``text`` with the block ``name``'s body replaced by ``body``."""
    return block(name).sub(lambda _: f"<!-- {name}:start -->\n{body}\n<!-- {name}:end -->", text)


def _previous_targets(text: str) -> dict[str, str]:
    """The rows of the targets table in ``text`` that hold a measurement: {target: row}."""
    found = block("targets").search(text)
    rows: dict[str, str] = {}
    for line in (found.group(1) if found else "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1] not in ("-", "measured", "---:"):
            rows[cells[0]] = line.strip()
    return rows


#: the sizes of README.md's results table (the large runs)
SUMMARY_SIZES = ("10M", "50M")
SUMMARY_HEADER = (
    "| orders | dbt build | peak memory | baseline A (DuckDB SQL) | one-day change "
    "| build with no change | `as_of_date` one day later, no raw change |"
)
#: a kept cell of an earlier run says so
EARLIER_CELL = "(an earlier run)"
#: README.md's generated block
SUMMARY = "bench:summary"


def _rows_written(rows: int | None) -> str:
    return "" if rows is None else f", {rows:,} rows written"


def _summary_cells(r: dict[str, Any]) -> list[str | None]:
    """One size's cells of README.md's results table; None where the run did not measure."""
    steps = r.get("steps", {})
    build = _measured(steps.get("dbt_build", {}))

    def seconds(name: str) -> float | None:
        return _measured(steps.get(name, {}))

    def share(name: str) -> str | None:
        value = seconds(name)
        ratio = _ratio(value, build)
        return (
            None if value is None or ratio is None else f"{value:.0f} s, {ratio:.2f} of the build"
        )

    baseline_a, no_change = seconds("baseline_a"), seconds("no_change_build")
    written = steps.get("no_change_build", {}).get("build_log", {}).get("rows_written")
    peak = None if build is None else steps["dbt_build"].get("peak_gb")
    return [
        None if build is None else f"{build:.0f} s",
        None if peak is None else f"{peak:.2f} GB",
        None if baseline_a is None else f"{baseline_a:.0f} s",
        share("change_build"),
        None if no_change is None else f"{no_change:.0f} s" + _rows_written(written),
        share("as_of_date_build"),
    ]


def _summary_rows(text: str) -> dict[str, list[str]]:
    """The results table's rows in ``text`` (README.md): {size: cells after the size}."""
    found = block(SUMMARY).search(text)
    rows: dict[str, list[str]] = {}
    for line in (found.group(1) if found else "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in SIZE_ORDER:
            rows[cells[0]] = cells[1:]
    return rows


def summary_markdown(
    results: dict[str, dict[str, Any]], targets: str, previous: dict[str, list[str]] | None = None
) -> str:
    """README.md's results table, from the saved results, and the targets met
    and not met, from ``targets`` (BENCHMARKS.md's table, ``targets_markdown``).

    A cell the saved results do not measure keeps the value of ``previous``
    (the table as README.md holds it), marked as from an earlier run."""
    previous = previous or {}
    lines = [SUMMARY_HEADER, "|---:|" + "---:|" * (SUMMARY_HEADER.count("|") - 2)]
    for size in SUMMARY_SIZES:
        if size not in results and size not in previous:
            continue
        cells = _summary_cells(results.get(size, {}))
        kept = previous.get(size, [])
        for i, cell in enumerate(cells):
            if cell is None and i < len(kept) and kept[i] not in ("", "-"):
                old = kept[i]
                cells[i] = old if EARLIER_CELL in old else f"{old} {EARLIER_CELL}"
        lines.append("| " + " | ".join([size, *(cell or "-" for cell in cells)]) + " |")
    verdicts: dict[str, list[str]] = {"met": [], "**not met**": []}
    for line in targets.splitlines()[2:]:
        name, measured, verdict = (cell.strip() for cell in line.strip("|").split("|"))
        if verdict in verdicts:
            verdicts[verdict].append(f"- {name}: {measured}")
    lines += ["", 'Targets met (BENCHMARKS.md, "Targets"):', "", *verdicts["met"]]
    lines += ["", "Targets not met:", "", *verdicts["**not met**"]]
    return "\n".join(lines)


def update_readme(
    targets: str, path: Path = README, results_dir: Path = BENCH_DIR / "results"
) -> None:
    """Rewrite README.md's results table (from ``results_dir``) and its targets."""
    text = path.read_text()
    summary = summary_markdown(_load_results(results_dir), targets, _summary_rows(text))
    path.write_text(_fill_block(text, SUMMARY, summary))


def update_benchmarks(
    result: dict[str, Any], path: Path = BENCHMARKS, readme: Path = README
) -> None:
    text = path.read_text() if path.exists() else TEMPLATE
    text = _fill_block(text, "machine", machine_markdown(result["machine"]))
    label = result["label"]
    name = f"bench:{label}"
    # a section ends with its own newline
    body = section(result).removesuffix("\n")
    if block(name).search(text):
        text = _fill_block(text, name, body)
    else:
        text = _insert_section(text, label, f"<!-- {name}:start -->\n{body}\n<!-- {name}:end -->")
    targets = targets_markdown(_load_results(BENCH_DIR / "results"), _previous_targets(text))
    text = _fill_block(text, "targets", targets)
    path.write_text(text)
    update_readme(targets, readme)


def _insert_section(text: str, label: str, block: str) -> str:
    """Insert in size order among the existing sections, else before '## Targets'."""
    rank = SIZE_ORDER.index(label) if label in SIZE_ORDER else len(SIZE_ORDER)
    for later in SIZE_ORDER[rank + 1 :]:
        marker = f"<!-- bench:{later}:start -->"
        if marker in text:
            return text.replace(marker, f"{block}\n\n{marker}", 1)
    anchor = "## Targets"
    if anchor in text:
        return text.replace(anchor, f"{block}\n\n{anchor}", 1)
    return text.rstrip() + f"\n\n{block}\n"
