"""Shared fixtures: build the real warehouse (dbt + DuckDB) into a temp dir."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pytest

from retention.dbt import DbtResult, dbt_env, run_dbt

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


def _build_once(tmp_path_factory: pytest.TempPathFactory, raw: Path, name: str) -> Warehouse:
    directory = tmp_path_factory.mktemp(name)
    path = directory / f"{name}.duckdb"
    target = directory / "target"
    env = dbt_env(raw_data_dir=raw, warehouse_path=path, target_path=target)
    result = run_dbt(["build"], env=env)
    if not result.ok:
        pytest.fail(f"dbt build of {raw} failed:\n{result.output[-6000:]}")
    return Warehouse(path, result, target)


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The hand-made nine-order dataset of data/tiny, built once per session."""
    return _build_once(tmp_path_factory, DATA_DIR / "tiny", "tiny")


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The bundled sample (data/sample), built once per session."""
    from retention.dbt import PROJECT_ROOT

    return _build_once(tmp_path_factory, PROJECT_ROOT / "data" / "sample", "sample")
