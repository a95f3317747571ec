"""The read-only connection settings of README ("BI tools") are a sandbox:
with them a query cannot read a file from disk nor switch them off; the same
queries without them do read the file (negative control)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from retention.dbt import PROJECT_ROOT
from retention.publish import publish_marts
from retention.tests.conftest import Warehouse

# exactly as README shows them (test_readme_shows_the_settings checks)
BI_CONFIG = {
    "access_mode": "read_only",
    "enable_external_access": False,
    "lock_configuration": True,
}
CLI_STATEMENTS = ("SET enable_external_access = false", "SET lock_configuration = true")
SECRET = "planted-secret-7f3a"


@pytest.fixture(scope="module")
def published(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("sandbox") / "retention_bi.duckdb"
    publish_marts(tiny_warehouse.path, destination, tiny_warehouse.target_path / "manifest.json")
    return destination


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    path = tmp_path / "customers_export.csv"
    path.write_text(f"email,note\nalice@example.test,{SECRET}\n", encoding="utf-8")
    return path


def _reads(path: Path) -> list[str]:
    return [
        f"select content from read_text('{path}')",
        f"select note from read_csv('{path}')",
        f"select note from '{path}'",
    ]


def _assert_sandboxed(con: duckdb.DuckDBPyConnection, planted: Path, tmp_path: Path) -> None:
    assert con.execute("select count(*) from marts.fct_orders").fetchone()[0] == 9
    for sql in _reads(planted):
        with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
            con.execute(sql).fetchall()
    for sql in (
        "set enable_external_access = true",
        "reset enable_external_access",
        "set lock_configuration = false",
    ):
        with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
            con.execute(sql)
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"attach '{tmp_path / 'other.duckdb'}' as other")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"copy (select 1) to '{tmp_path / 'out.csv'}'")
    # still locked after the attempts
    with pytest.raises(duckdb.PermissionException):
        con.execute(_reads(planted)[0]).fetchall()


def test_python_settings_block_files(published: Path, planted: Path, tmp_path: Path) -> None:
    with duckdb.connect(str(published), config=BI_CONFIG) as con:
        _assert_sandboxed(con, planted, tmp_path)


def test_cli_settings_block_files(published: Path, planted: Path, tmp_path: Path) -> None:
    """The CLI form (`duckdb -readonly -safe -cmd "SET ...; SET ..."`) runs the
    same statements on a read-only connection."""
    with duckdb.connect(str(published), read_only=True) as con:
        for statement in CLI_STATEMENTS:
            con.execute(statement)
        _assert_sandboxed(con, planted, tmp_path)


def test_negative_control_without_settings_reads_the_file(published: Path, planted: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        for sql in _reads(planted):
            assert SECRET in str(con.execute(sql).fetchall())


def test_readme_shows_the_settings() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for setting in ('"access_mode": "read_only"', '"enable_external_access": False'):
        assert setting in readme
    assert '"lock_configuration": True' in readme
    for statement in CLI_STATEMENTS:
        assert statement in readme
    assert "-readonly" in readme and "-safe" in readme
