"""Time `dbt build` into a bench DuckDB file: wall time, peak memory, per-node times."""

from __future__ import annotations

import bisect
import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.measure import Measured, run_measured
from retention.dbt import dbt_env, dbt_executable


@dataclass(frozen=True)
class NodeTiming:
    unique_id: str
    resource_type: str
    name: str
    status: str
    seconds: float
    materialized: str | None = None
    #: epoch seconds of the node's execute phase (None when dbt did not run it)
    started: float | None = None
    completed: float | None = None


@dataclass(frozen=True)
class DbtBuild:
    measured: Measured
    nodes: list[NodeTiming] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.measured.ok

    def seconds_of(self, resource_type: str) -> float:
        return sum(n.seconds for n in self.nodes if n.resource_type == resource_type)

    def peak_gb_during(self, node: NodeTiming) -> float | None:
        """Peak RSS of the build's process tree while ``node`` ran (two threads: shared)."""
        if node.started is None or node.completed is None:
            return None
        during = [
            rss for at, rss in self.measured.rss_timeline if node.started <= at <= node.completed
        ]
        return max(during) / 1024**3 if during else None

    def high_water_rise(self) -> tuple[str, float] | None:
        """The node during which the build process's high-water mark (VmHWM)
        rose the most, with the mark it reached (GB): where the process's
        maximum RSS was set, even by a spike shorter than a poll. Rises
        between two nodes' execute phases count for neither."""
        marks = self.measured.hwm_timeline
        times = [at for at, _ in marks]
        best: tuple[str, float, float] | None = None
        for node in self.nodes:
            if node.started is None or node.completed is None:
                continue
            # the mark only grows: before the node it is the last poll's
            # before it started; the node's is the first poll's after it
            # ended (that poll still sees a spike at its very end)
            first_during = bisect.bisect_left(times, node.started)
            first_after = bisect.bisect_left(times, node.completed)
            if first_during == len(times):
                continue
            reached = marks[min(first_after, len(marks) - 1)][1]
            rise = reached - (marks[first_during - 1][1] if first_during else 0)
            if rise > 0 and (best is None or rise > best[1]):
                best = (node.name, rise, reached)
        return (best[0], best[2] / 1024**3) if best else None

    @property
    def models(self) -> list[NodeTiming]:
        return sorted(
            (n for n in self.nodes if n.resource_type == "model"),
            key=lambda n: n.seconds,
            reverse=True,
        )

    @property
    def incremental_models(self) -> list[str]:
        return [n.name for n in self.models if n.materialized == "incremental"]


def _nodes(target: Path) -> list[NodeTiming]:
    results = json.loads((target / "run_results.json").read_text())
    manifest_path = target / "manifest.json"
    materialized: dict[str, str] = {}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        materialized = {
            uid: node.get("config", {}).get("materialized")
            for uid, node in manifest.get("nodes", {}).items()
        }
    nodes = []
    for result in results["results"]:
        uid = result["unique_id"]
        started, completed = _execute_span(result)
        resource_type, _, rest = uid.partition(".")
        name = rest.split(".", 1)[-1]
        nodes.append(
            NodeTiming(
                unique_id=uid,
                resource_type=resource_type,
                name=name,
                status=str(result["status"]),
                seconds=float(result.get("execution_time") or 0.0),
                materialized=materialized.get(uid),
                started=started,
                completed=completed,
            )
        )
    return nodes


def _execute_span(result: dict[str, Any]) -> tuple[float | None, float | None]:
    """Epoch seconds of a run result's execute phase (dbt writes UTC, with or without 'Z')."""
    for phase in result.get("timing") or ():
        if phase.get("name") == "execute" and phase.get("started_at") and phase.get("completed_at"):
            return _epoch(phase["started_at"]), _epoch(phase["completed_at"])
    return None, None


def _epoch(stamp: str) -> float:
    parsed = datetime.fromisoformat(stamp.removesuffix("Z"))
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).timestamp()


def dbt_build(
    raw_dir: Path,
    warehouse: Path,
    target: Path,
    fresh: bool = True,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> DbtBuild:
    """`dbt build` of every model and test; ``fresh`` starts from an empty DuckDB file."""
    if fresh:
        for path in (warehouse, Path(str(warehouse) + ".wal")):
            path.unlink(missing_ok=True)
        shutil.rmtree(Path(str(warehouse) + ".tmp"), ignore_errors=True)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)
    # the node timings are read from run_results.json: written whatever the caller's setting
    env = dbt_env(
        raw_data_dir=raw_dir,
        warehouse_path=warehouse,
        target_path=target,
        extra={**(extra_env or {}), "DBT_WRITE_JSON": "true"},
    )
    measured = run_measured([dbt_executable(), "build", *args], env=env)
    nodes = _nodes(target) if (target / "run_results.json").exists() else []
    return DbtBuild(measured, nodes)


@dataclass(frozen=True)
class LoggedNode:
    """One model's or seed's row of meta.build_log (macros/build_log/)."""

    name: str
    action: str
    rows_before: int | None
    rows_after: int | None
    rows_inserted: int
    rows_deleted: int
    rows_written: int


def build_log(warehouse: Path, target: Path) -> list[LoggedNode]:
    """meta.build_log's models and seeds of the invocation whose run_results.json is in
    ``target``."""
    results = json.loads((target / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select node_id, action, rows_before, rows_after, rows_inserted, rows_deleted, "
            "rows_written from meta.build_log where invocation_id = ? "
            "and materialization is distinct from 'test' order by node_id",
            [invocation],
        ).fetchall()
    return [
        LoggedNode(
            name=node_id.split(".")[-1],
            action=action,
            rows_before=before,
            rows_after=after,
            rows_inserted=int(inserted or 0),
            rows_deleted=int(deleted or 0),
            rows_written=int(written or 0),
        )
        for node_id, action, before, after, inserted, deleted, written in rows
    ]


def data_test_actions(warehouse: Path, target: Path) -> dict[str, int]:
    """How many data tests of that invocation ran (`tested`) or were not run again."""
    results = json.loads((target / "run_results.json").read_text())
    invocation = results["metadata"]["invocation_id"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select action, count(*) from meta.build_log where invocation_id = ? "
            "and materialization = 'test' group by action order by action",
            [invocation],
        ).fetchall()
    return {str(action): int(count) for action, count in rows}
