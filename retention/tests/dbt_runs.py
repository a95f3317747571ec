"""`run_dbt` for the tests: the same real dbt run, without a full parse each time.

Every test builds into its own DuckDB file and target folder, so dbt would
parse the whole project (about ten seconds) for each of the suite's ~90 dbt
runs: it only reuses `partial_parse.msgpack` when the profile is unchanged,
and the profile holds the DuckDB file's path. Here each run borrows a
*slot*, a folder with a fixed path (`<slots>/<n>/<file name>`): the test's
DuckDB file (if it exists) is moved there, dbt runs on it with the slot's
path as WAREHOUSE_PATH and the slot's last `partial_parse.msgpack` for the
same file name and --vars in the test's target folder, and the file is moved
back. The file keeps its name, so DuckDB's catalog (views name it) is the
same as without a slot. dbt itself decides whether the saved state still
holds (file checksums, --vars, profile, env vars) and parses in full when
not: nothing of dbt is patched, every run is a real `dbt` process on a real
DuckDB file.

The hermetic plugin creates the slots folder once per session
(RETENTION_TEST_DBT_SLOTS, shared by the xdist workers); without it the run
keeps no parse state. A slot is held with an exclusive file lock for the
run, so concurrent runs (two workers, or threads) take different slots.

The run itself is a child of the session's dbt fork server
(dbt_server.py) when the plugin started one, else the `dbt` executable
(`retention.dbt.run_dbt`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from retention.dbt import PROJECT_ROOT, DbtResult, dbt_arguments, dbt_env
from retention.dbt import run_dbt as _run_dbt
from retention.tests import dbt_server

SLOTS_VARIABLE = "RETENTION_TEST_DBT_SLOTS"
#: a file to which every run appends one JSON line (test, arguments, exit code, wall and CPU s)
LOG_VARIABLE = "RETENTION_TEST_DBT_LOG"
PARSE_FILE = "partial_parse.msgpack"
#: files DuckDB keeps next to a database file
SIDECARS = (".wal", ".tmp")


@contextmanager
def _slot(root: Path) -> Iterator[Path]:
    """The first free slot under `root` (created on demand), locked until exit."""
    index = 0
    while True:
        directory = root / str(index)
        directory.mkdir(parents=True, exist_ok=True)
        handle = open(directory / "lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            index += 1
            continue
        try:
            yield directory
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return


def _move(source: Path, destination: Path) -> None:
    for suffix in ("", *SIDECARS):
        origin = source.with_name(source.name + suffix)
        if origin.exists():
            shutil.move(origin, destination.with_name(destination.name + suffix))


def run_dbt(
    args: Sequence[str],
    *,
    vars: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
) -> DbtResult:
    """`retention.dbt.run_dbt` through a slot (see the module docstring)."""
    env = dict(env) if env is not None else dbt_env()
    root = os.environ.get(SLOTS_VARIABLE)
    if not root or "WAREHOUSE_PATH" not in env or "DBT_TARGET_PATH" not in env:
        return _dbt(args, vars, env, echo)
    warehouse = Path(env["WAREHOUSE_PATH"])
    target = Path(env["DBT_TARGET_PATH"])
    state = json.dumps([warehouse.name, dict(vars or {})], sort_keys=True, default=str)
    with _slot(Path(root)) as slot:
        borrowed = slot / "db" / warehouse.name
        shutil.rmtree(slot / "db", ignore_errors=True)  # leftovers of an interrupted run
        borrowed.parent.mkdir()
        saved = slot / "parse" / (hashlib.sha256(state.encode()).hexdigest()[:20] + ".msgpack")
        target.mkdir(parents=True, exist_ok=True)
        if saved.is_file():
            shutil.copyfile(saved, target / PARSE_FILE)
        _move(warehouse, borrowed)
        try:
            result = _dbt(args, vars, {**env, "WAREHOUSE_PATH": str(borrowed)}, echo)
        finally:
            warehouse.parent.mkdir(parents=True, exist_ok=True)
            _move(borrowed, warehouse)
        if (target / PARSE_FILE).is_file():
            saved.parent.mkdir(exist_ok=True)
            shutil.copyfile(target / PARSE_FILE, saved.with_suffix(".part"))
            os.replace(saved.with_suffix(".part"), saved)
    return result


def _dbt(
    args: Sequence[str], vars: Mapping[str, object] | None, env: dict[str, str], echo: bool
) -> DbtResult:
    """One dbt run: a child of the session's fork server (dbt_server.py) when it
    runs, else the `dbt` executable; logged to RETENTION_TEST_DBT_LOG if set."""
    server = os.environ.get(dbt_server.SERVER_VARIABLE)
    started = time.monotonic()
    if server and not echo:
        with tempfile.TemporaryDirectory(prefix="dbt-run-") as scratch:
            code, output, cpu = dbt_server.run(
                Path(server), dbt_arguments(args, vars), env, PROJECT_ROOT, Path(scratch) / "out"
            )
        result = DbtResult(code, output)
    else:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = _run_dbt(args, vars=vars, env=env, echo=echo)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    log = os.environ.get(LOG_VARIABLE)
    if log:
        entry = {
            "test": os.environ.get("PYTEST_CURRENT_TEST", ""),
            "args": dbt_arguments(args, vars),
            "returncode": result.returncode,
            "wall_s": round(time.monotonic() - started, 1),
            "cpu_s": round(cpu, 1),
        }
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
    return result
