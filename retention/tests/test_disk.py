"""`make build` warns before dbt runs when the warehouse's disk is short of space.

A nearly full disk slowed a 10M-order one-day change from about 100 to
147 s with no error at all (BENCHMARKS.md); the warning is the only sign.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from retention import build
from retention.disk import GB, build_disk_warning, free_bytes


def _warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as i from range(100000)")
    return path


def test_free_bytes_of_a_path_not_made_yet_is_its_disks(tmp_path: Path) -> None:
    free = free_bytes(tmp_path / "not" / "made" / "retention.duckdb")
    # another process may write between the two calls: the same disk within 1 GB
    assert abs(free - shutil.disk_usage(tmp_path).free) < GB


def test_warning_under_twice_the_warehouse(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "retention.duckdb")
    size = warehouse.stat().st_size
    assert build_disk_warning(warehouse, free=2 * size) is None
    warning = build_disk_warning(warehouse, free=2 * size - 1)
    assert warning is not None
    assert str(tmp_path) in warning
    assert "DUCKDB_TEMP_DIRECTORY" in warning


def test_new_warehouse_is_not_checked(tmp_path: Path) -> None:
    assert build_disk_warning(tmp_path / "retention.duckdb", free=0) is None


def test_make_build_prints_the_warning_before_dbt_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = _warehouse(tmp_path / "retention.duckdb")
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    # the disk as if it held 1 byte: the only stand-in; dbt really runs and
    # refuses the unknown option at once, so nothing is built or published
    monkeypatch.setattr(build, "free_bytes", lambda _path: 1)
    code = build.main(["--", "--no-such-dbt-option"])
    captured = capsys.readouterr()
    assert code != 0
    assert "GB free on the disk of" in captured.err
    assert "nothing published" in captured.err
