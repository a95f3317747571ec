"""Shared fixtures: build the real warehouse (dbt + DuckDB) into a temp dir.

The environment every test sees is pinned by the `retention.tests.hermetic`
plugin (salt, time zone, paths). `sample_warehouse` reuses the build `make
test` has just made when TEST_SAMPLE_WAREHOUSE names it (after checking it
is fresh and was built like the tests build), else builds the sample once
per session (per xdist worker).
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pytest

from retention.dbt import PROJECT_ROOT, DbtResult, dbt_env
from retention.tests.dbt_runs import SLOTS_VARIABLE, run_dbt
from retention.tests.hermetic import (
    SAMPLE_BUILDING,
    SAMPLE_DIR,
    SAMPLE_STATUS,
    TEST_PII_HASH_SALT,
    UNIT_TESTS,
    WRITE_JSON,
)

DATA_DIR = Path(__file__).parent / "data"


class Warehouse:
    """A DuckDB warehouse built by `dbt build` from one raw-data folder."""

    def __init__(self, path: Path, result: DbtResult, target_path: Path) -> None:
        self.path = path
        self.result = result
        self.target_path = target_path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def df(self, sql: str):  # -> pandas.DataFrame
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).df()


BuildWarehouse = Callable[..., Warehouse]


@pytest.fixture
def build_warehouse(tmp_path: Path) -> BuildWarehouse:
    """Call with a raw-data folder: runs `dbt build` into a fresh DuckDB file."""

    def build(
        raw_data_dir: Path,
        vars: Mapping[str, object] | None = None,
        command: tuple[str, ...] = ("build",),
        expect_success: bool = True,
        name: str = "warehouse",
    ) -> Warehouse:
        path = tmp_path / f"{name}.duckdb"
        target = tmp_path / f"target_{name}"
        env = dbt_env(raw_data_dir=raw_data_dir, warehouse_path=path, target_path=target)
        result = run_dbt(list(command), vars=vars, env=env)
        if expect_success and not result.ok:
            pytest.fail(f"dbt {' '.join(command)} failed:\n{result.output[-6000:]}")
        return Warehouse(path, result, target)

    return build


def build_once(
    tmp_path_factory: pytest.TempPathFactory,
    raw: Path,
    name: str,
    command: tuple[str, ...] = ("build",),
    vars: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Warehouse:
    """One dbt invocation into a fresh DuckDB file, for module- and session-scoped fixtures.

    `extra_env` overrides variables of the pinned test environment (e.g. TZ).
    """
    directory = tmp_path_factory.mktemp(name)
    path = directory / f"{name}.duckdb"
    target = directory / "target"
    env = dbt_env(raw_data_dir=raw, warehouse_path=path, target_path=target, extra=extra_env)
    result = run_dbt(list(command), vars=vars, env=env)
    if not result.ok:
        pytest.fail(f"dbt {' '.join(command)} of {raw} failed:\n{result.output[-6000:]}")
    return Warehouse(path, result, target)


def _private_copy(
    tmp_path_factory: pytest.TempPathFactory, built: Path, target: Path, result: DbtResult
) -> Warehouse:
    """A copy of a build for this process: no test changes the build another worker reads."""
    directory = tmp_path_factory.mktemp(built.stem)
    path = directory / built.name
    shutil.copyfile(built, path)
    shutil.copytree(target, directory / "target", ignore=shutil.ignore_patterns("compiled", "run"))
    return Warehouse(path, result, directory / "target")


def shared_build(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    write_raw: Callable[[Path], Path],
    command: tuple[str, ...] = ("build",),
    vars: Mapping[str, object] | None = None,
    expect_success: bool = True,
    extra_env: Mapping[str, str] | None = None,
) -> Warehouse:
    """One dbt invocation for the whole session, shared by the xdist workers:
    the first worker that needs it builds it (under a lock, in the session's
    dbt slots folder), every worker gets its own copy. `write_raw(directory)`
    returns the raw-data folder (written into `directory` if it makes one);
    `extra_env` overrides variables of the pinned test environment."""
    root = os.environ.get(SLOTS_VARIABLE)
    shared = Path(root) / "shared" / name if root else tmp_path_factory.mktemp(name)
    shared.mkdir(parents=True, exist_ok=True)
    path, target, saved = shared / f"{name}.duckdb", shared / "target", shared / "result.json"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not saved.is_file():
            raw = write_raw(shared / "raw")
            env = dbt_env(
                raw_data_dir=raw, warehouse_path=path, target_path=target, extra=extra_env
            )
            result = run_dbt(list(command), vars=vars, env=env)
            if expect_success and not result.ok:
                pytest.fail(f"dbt {' '.join(command)} of {raw} failed:\n{result.output[-6000:]}")
            saved.write_text(json.dumps(dataclasses.asdict(result)), encoding="utf-8")
    result = DbtResult(**json.loads(saved.read_text(encoding="utf-8")))
    if not root:
        return Warehouse(path, result, target)
    return _private_copy(tmp_path_factory, path, target, result)


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The hand-made nine-order dataset of data/tiny, built once per session
    (with its manifest.json: the publishing tests read the column docs)."""
    return shared_build(tmp_path_factory, "tiny", lambda _: DATA_DIR / "tiny", extra_env=WRITE_JSON)


#: the inputs of a build: a reused warehouse older than any of them is stale
BUILD_INPUTS = (
    "models",
    "macros",
    "seeds",
    "tests",
    "dbt_project.yml",
    "profiles.yml",
    "data/sample",
)


def _newest_input() -> tuple[float, Path]:
    newest = (0.0, PROJECT_ROOT)
    for name in BUILD_INPUTS:
        root = PROJECT_ROOT / name
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            if path.is_file():
                newest = max(newest, (path.stat().st_mtime, path))
    return newest


def _wait_for_sample_build(directory: Path, timeout: float = 1800.0) -> None:
    """`make test` builds the sample beside pytest: wait until that build ends."""
    deadline = time.monotonic() + timeout
    while (directory / SAMPLE_BUILDING).exists() and not (directory / SAMPLE_STATUS).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the sample build in {directory} did not end in {timeout:.0f} s")
        time.sleep(1.0)
    status = directory / SAMPLE_STATUS
    if status.exists() and status.read_text(encoding="utf-8").strip() != "ok":
        pytest.fail(
            f"make test's sample build {status.read_text(encoding='utf-8').strip()}: "
            "see its output above"
        )


def _check_reusable(path: Path, target: Path) -> None:
    """The warehouse `make test` built: present, fresh, hashed with the tests' salt."""
    if not path.is_file() or not (target / "manifest.json").is_file():
        pytest.fail(f"TEST_SAMPLE_WAREHOUSE={path}: no warehouse (or no {target}/manifest.json)")
    mtime, newest = _newest_input()
    if path.stat().st_mtime < mtime:
        pytest.fail(f"TEST_SAMPLE_WAREHOUSE={path} is older than {newest}: rebuild it (make test)")
    with duckdb.connect(str(path), read_only=True) as con:
        salted = con.execute(
            f"""
            select count(*) from marts.dim_customers as dim
            join read_parquet('{SAMPLE_DIR}/customers.parquet') as raw
                on dim.store_id = raw.store_id and dim.customer_id = raw.customer_id
            where dim.email_hash = sha256(? || lower(trim(raw.email)))
            """,
            [TEST_PII_HASH_SALT],
        ).fetchone()[0]
    if salted == 0:
        pytest.fail(
            f"TEST_SAMPLE_WAREHOUSE={path} was not built with the tests' environment: "
            "build it with `python -m retention.tests.hermetic DIR` (make test does)"
        )


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The bundled sample (data/sample): make test's build, or built once per session."""
    reuse = os.environ.get("TEST_SAMPLE_WAREHOUSE")
    if not reuse:
        return build_once(
            tmp_path_factory, SAMPLE_DIR, "sample", extra_env={**UNIT_TESTS, **WRITE_JSON}
        )
    built = Path(reuse)
    target = Path(os.environ.get("TEST_SAMPLE_TARGET_PATH", built.parent / "target"))
    _wait_for_sample_build(built.parent)
    _check_reusable(built, target)
    result = DbtResult(0, f"reused {built} (TEST_SAMPLE_WAREHOUSE)")
    return _private_copy(tmp_path_factory, built, target, result)
