"""A fork server for the tests' dbt runs: dbt imported once, every run a fresh process.

Starting the `dbt` executable costs about 4.5 CPU seconds before it reads
the project: importing dbt-core, its adapters and the serialisers their
dataclasses generate at import time. The suite runs dbt about a hundred
times. The server (one per test session, started by the hermetic plugin)
imports dbt's command line, the DuckDB adapter and what the project's Python
models import (pandas, SciPy: about 1.5 CPU s per build) once, then waits on a Unix
socket. Each run is a child forked from it: the child takes the request's
environment (os.environ replaced, time zone re-read), working directory and
arguments, sends its output to a file, runs `dbt.cli.main.cli` as the `dbt`
executable does, reports its exit code and CPU time, and exits; the client
returns once the process is gone (its DuckDB file is unlocked then).

Before it listens, the server parses the project twice in a scratch folder
(`warm_up`): dbt generates the serialisers of its manifest classes and the
JSON schemas it validates configurations with lazily, on first use, which
cost each run about 2 CPU seconds more. Parsing opens no DuckDB file and
leaves no thread behind, and dbt resets its adapters, flags and invocation
context at the start of every invocation (as it does for repeated
programmatic runs). Nothing survives from one run to the next: every run
starts from that state, in a process of its own, on a real DuckDB file.

`python -m retention.tests.dbt_server SOCKET` runs the server; `run` is the
client.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

#: the socket of the session's server (set by the hermetic plugin for every test process)
SERVER_VARIABLE = "RETENTION_TEST_DBT_SERVER"
#: its process id (a run waiting for the socket stops waiting when it is gone)
PID_VARIABLE = "RETENTION_TEST_DBT_SERVER_PID"
#: `0` runs every test dbt run as the `dbt` executable instead (for debugging)
SWITCH_VARIABLE = "RETENTION_TEST_DBT_FORK"

#: what the server imports before forking (everything a DuckDB run imports)
PRELOAD = (
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.impl",
    "duckdb",
    "agate",
    # what the Python models import (pandas, SciPy): about 1.5 CPU s per build
    "retention.survival.warehouse",
    "retention.clv.fit",
    "retention.clv.score",
)


def _child(connection: socket.socket) -> NoReturn:
    """One dbt run in a freshly forked process; ends the process."""
    code = 70  # EX_SOFTWARE: the request itself failed
    try:
        request = json.loads(connection.makefile("r").readline())
        os.environ.clear()
        os.environ.update(request["env"])
        time.tzset()
        os.chdir(request["cwd"])
        output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        sys.argv = ["dbt", *request["args"]]
        from dbt.cli.main import cli

        try:
            cli.main(args=request["args"], prog_name="dbt", standalone_mode=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # reported in the run's output
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        reply = {"returncode": code, "cpu": usage.ru_utime + usage.ru_stime, "pid": os.getpid()}
        connection.sendall((json.dumps(reply) + "\n").encode())
    # a normal interpreter exit, as the `dbt` executable's: DuckDB checkpoints
    # and closes its file (os._exit would leave the writes in the .wal file)
    raise SystemExit(code)


def warm_up(project: Path) -> None:
    """Parse `project` twice (the second time from the partial-parse file) in
    a scratch folder, output discarded: the lazily generated serialisers and
    schemas then exist before the children are forked."""
    import tempfile

    from dbt.cli.main import cli

    threads = _native_threads()
    saved_environment, saved_directory = dict(os.environ), os.getcwd()
    saved_streams = os.dup(1), os.dup(2)
    with tempfile.TemporaryDirectory(prefix="dbt-warm-up-") as scratch:
        os.environ.update(
            DBT_PROFILES_DIR=str(project),
            DBT_TARGET_PATH=f"{scratch}/target",
            DBT_LOG_PATH=f"{scratch}/logs",
            WAREHOUSE_PATH=f"{scratch}/warm-up.duckdb",
            # dbt's static parser (Rust) keeps a thread pool that a forked
            # child would wait on forever: the children start their own
            DBT_STATIC_PARSER="false",
        )
        os.chdir(project)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
        try:
            for _ in range(2):
                # a broken project fails in the runs themselves, with dbt's message
                with contextlib.suppress(SystemExit, Exception):
                    cli.main(args=["parse", "--quiet"], prog_name="dbt", standalone_mode=True)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for descriptor, saved in zip((1, 2), saved_streams, strict=True):
                os.dup2(saved, descriptor)
                os.close(saved)
            os.chdir(saved_directory)
            os.environ.clear()
            os.environ.update(saved_environment)
        # a thread started here would be missing in the forked children
        assert _native_threads() == threads, "the warm-up left a thread running"
        assert not Path(scratch, "warm-up.duckdb").exists(), "parsing opened the warehouse"


def _native_threads() -> int:
    """Threads of this process, native ones included (Linux)."""
    return len(os.listdir("/proc/self/task"))


def serve(path: Path) -> None:
    """Import dbt, warm it up, listen on `path` and fork one child per connection."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    warm_up(Path(__file__).resolve().parents[2])
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    partial = path.with_name(path.name + ".part")
    partial.unlink(missing_ok=True)
    listener.bind(str(partial))
    listener.listen(64)
    os.replace(partial, path)  # the socket appears once the server is ready
    while True:
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _child(connection)
        connection.close()


def start(path: Path) -> subprocess.Popen[bytes]:
    """Start a server listening on `path` (it imports dbt in the background)."""
    return subprocess.Popen(
        [sys.executable, "-m", "retention.tests.dbt_server", str(path)],
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C of pytest reaches the runs through pytest
    )


def stop(server: subprocess.Popen[bytes], path: Path) -> None:
    server.terminate()
    server.wait(timeout=30)
    path.unlink(missing_ok=True)


def wait_until_ready(path: Path, server_pid: int | None, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if server_pid is not None and not _alive(server_pid):
            raise RuntimeError(f"the dbt fork server ({server_pid}) exited before listening")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the dbt fork server did not create {path} in {timeout:.0f} s")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """True while process `pid` runs (an exited child nobody has reaped yet,
    a zombie, is not running: the server is one for the xdist workers)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def run(
    path: Path, args: Sequence[str], env: Mapping[str, str], cwd: Path, output: Path
) -> tuple[int, str, float]:
    """Run `dbt <args>` in a child of the server at `path`: (exit code, output, CPU s)."""
    pid = os.environ.get(PID_VARIABLE)
    wait_until_ready(path, int(pid) if pid else None)
    request = {"args": list(args), "env": dict(env), "cwd": str(cwd), "output": str(output)}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(path))
        connection.sendall((json.dumps(request) + "\n").encode())
        line = connection.makefile("r").readline()
    text = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
    output.unlink(missing_ok=True)
    if not line:
        return 70, text + "\n(the dbt run's process ended without an exit code)", 0.0
    reply = json.loads(line)
    # the run's DuckDB file stays locked until its process is gone (the
    # server's children are reaped by the kernel as they exit)
    while _alive(int(reply["pid"])):
        time.sleep(0.01)
    return int(reply["returncode"]), text, float(reply["cpu"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m retention.tests.dbt_server SOCKET")
    serve(Path(sys.argv[1]))
