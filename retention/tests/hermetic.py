"""pytest plugin (loaded by pyproject's `addopts = -p retention.tests.hermetic`).

1. The same verdict in every environment: the variables the build reads
   (PII_HASH_SALT, TZ, DBT_TARGET, RAW_DATA_DIR, WAREHOUSE_PATH,
   BI_WAREHOUSE_PATH, DBT_TARGET_PATH) are pinned for the whole session,
   whatever the user exported (README advises a production PII_HASH_SALT).
   The salt pinned is NOT the default one, so a computation that ignores
   PII_HASH_SALT (hashing with the default) fails the tests. The user's
   values are kept in `USER_ENVIRONMENT` for the tests that need them.
2. Long files first: with `--dist loadfile --no-loadscope-reorder` (make
   test) xdist hands work units to the workers in collection order (by
   default it orders them by their number of tests). Every file is one unit
   (its module fixtures build once) except SPREAD_FILES, whose tests are
   units of their own (pytest_xdist_make_scheduler below). The files with the
   longest dbt builds are collected first and the single tests of
   SPREAD_FILES last, to fill the gaps at the end.
3. One folder of dbt slots per session (retention/tests/dbt_runs.py), shared
   by the xdist workers: test builds keep dbt's partial parsing.
4. One dbt fork server per session (retention/tests/dbt_server.py), shared
   by the xdist workers: dbt is imported once, every test run is a fresh
   process forked from it (RETENTION_TEST_DBT_FORK=0: the `dbt` executable).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from retention.tests import dbt_server
from retention.tests.dbt_runs import SLOTS_VARIABLE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"

#: the salt every test build uses (see the module docstring)
TEST_PII_HASH_SALT = "retention-tests-salt"
#: variables of the user's shell that the tests replace
PINNED = {
    "PII_HASH_SALT": TEST_PII_HASH_SALT,
    "TZ": "UTC",
    "DBT_TARGET": "dev",
    "RAW_DATA_DIR": str(SAMPLE_DIR),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    # the tests read dbt's output, not logs/dbt.log (every statement at debug
    # level: 1.5-3 CPU s per run, and one file for all concurrent runs)
    "DBT_LOG_LEVEL_FILE": "none",
    # dbt unit tests have given inputs: they do not depend on the raw data,
    # so they run in the sample's build only (UNIT_TESTS below), not in each
    # test's build of another dataset (about 1 CPU s each)
    "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test",
    # two test processes already keep both cores busy; a second dbt thread
    # only adds switching (about 1 CPU s more per build of the tiny dataset)
    "DBT_THREADS": "1",
    # dbt's JSON artifacts (manifest.json, run_results.json: about 1.3 CPU s
    # per run) are written only for the builds whose tests read them
    # (WRITE_JSON below); `make build` and the benchmark always write them
    "DBT_WRITE_JSON": "false",
}
#: the variables of a test build whose target folder's JSON artifacts are read
WRITE_JSON = {"DBT_WRITE_JSON": "true"}
#: the variables of the builds that run the dbt unit tests: the sample's
UNIT_TESTS = {"DBT_EXCLUDE_RESOURCE_TYPES": ""}
#: paths pointed into a temporary directory: no test touches the user's warehouse
PINNED_PATHS = {
    "WAREHOUSE_PATH": "retention.duckdb",
    "BI_WAREHOUSE_PATH": "retention_bi.duckdb",
    "DBT_TARGET_PATH": "target",
}
USER_ENVIRONMENT: dict[str, str | None] = {}

#: test files with the longest builds (measured), longest first
LONG_FILES = (
    "test_incremental.py",
    "test_adapters.py",
    "test_publish.py",
    "test_retention_periods.py",
    "test_clv_warehouse.py",
    "test_segments.py",
    "test_bench.py",
    "test_environment.py",
    "test_rejects.py",
)

#: files whose tests share no module fixture (each test its own dbt run):
#: make test hands their tests out one by one, last, to fill the gaps at the
#: end; every other file runs on one worker as one unit
SPREAD_FILES = (
    "test_bad_input_corpus.py",
    "test_raw_errors.py",
    "test_tiny_dataset.py",
)


def pin_environment(scratch: Path) -> None:
    for name in (*PINNED, *PINNED_PATHS):
        USER_ENVIRONMENT.setdefault(name, os.environ.get(name))
    os.environ.update(PINNED)
    for name, file in PINNED_PATHS.items():
        os.environ[name] = str(scratch / file)
    time.tzset()


_SCRATCH: list[Path] = []
_SERVERS: list[tuple[subprocess.Popen[bytes], Path]] = []


def pytest_configure(config: pytest.Config) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="retention-tests-env-"))
    _SCRATCH.append(scratch)
    pin_environment(scratch)
    if "PYTEST_XDIST_WORKER" in os.environ:  # the workers inherit the controller's
        return
    os.environ[SLOTS_VARIABLE] = str(scratch / "dbt-slots")
    if os.environ.get(dbt_server.SWITCH_VARIABLE, "1") != "0":
        socket = scratch / "dbt.sock"
        server = dbt_server.start(socket)
        _SERVERS.append((server, socket))
        os.environ[dbt_server.SERVER_VARIABLE] = str(socket)
        os.environ[dbt_server.PID_VARIABLE] = str(server.pid)


def pytest_unconfigure(config: pytest.Config) -> None:
    for server, socket in _SERVERS:
        dbt_server.stop(server, socket)
    for scratch in _SCRATCH:
        shutil.rmtree(scratch, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(LONG_FILES)}
    last = len(LONG_FILES) + 1
    # stable: files keep their order inside each rank; the spread files last
    items.sort(
        key=lambda item: (
            last if item.path.name in SPREAD_FILES else rank.get(item.path.name, last - 1)
        )
    )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadfile`, except that each test of SPREAD_FILES is a unit of its own."""
    if config.getoption("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SpreadingFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0].rsplit("/", 1)[-1] in SPREAD_FILES:
                return nodeid
            return super()._split_scope(nodeid)

    return SpreadingFileScheduling(config, log)


#: `make test` creates this file in the sample build's directory before it
#: starts the build beside pytest; the build replaces it with SAMPLE_STATUS
SAMPLE_BUILDING = "building"
#: written by build_sample when it ends: `ok`, or `failed (exit code N)`
SAMPLE_STATUS = "status"


def build_sample(directory: Path) -> int:
    """`make test`'s build: the sample, pinned like the tests, into `directory`.

    pytest reuses it as `sample_warehouse` when TEST_SAMPLE_WAREHOUSE names
    `directory`/sample.duckdb (see conftest.py), instead of building it again;
    its tests wait for the file SAMPLE_STATUS while SAMPLE_BUILDING exists.
    """
    from retention.build import VALIDATION_REPORT
    from retention.build import main as build_main

    directory.mkdir(parents=True, exist_ok=True)
    (directory / SAMPLE_STATUS).unlink(missing_ok=True)
    # test_validate reads this build's validation report: never an older one
    (directory / PINNED_PATHS["DBT_TARGET_PATH"] / VALIDATION_REPORT).unlink(missing_ok=True)
    code = 70
    try:
        pin_environment(directory)
        os.environ.update(UNIT_TESTS)
        os.environ["WAREHOUSE_PATH"] = str(directory / "sample.duckdb")
        code = build_main(["--no-publish"])
    finally:
        status = "ok" if code == 0 else f"failed (exit code {code})"
        (directory / SAMPLE_STATUS).write_text(status + "\n", encoding="utf-8")
        (directory / SAMPLE_BUILDING).unlink(missing_ok=True)
    return code


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m retention.tests.hermetic DIRECTORY")
    sys.exit(build_sample(Path(sys.argv[1]).resolve()))
