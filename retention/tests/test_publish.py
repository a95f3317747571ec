"""BI-safe publishing: a reader holding the published warehouse never blocks a
build and never sees a half-built one; a killed build publishes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from retention.dbt import PROJECT_ROOT, dbt_env
from retention.tests.conftest import DATA_DIR

READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(con.execute("select count(*) from marts.fct_orders").fetchone()[0], flush=True)
"""


def _env(tmp_path: Path, raw: Path) -> dict[str, str]:
    return dbt_env(
        raw_data_dir=raw,
        warehouse_path=tmp_path / "build.duckdb",
        target_path=tmp_path / "target",
        extra={"BI_WAREHOUSE_PATH": str(tmp_path / "bi.duckdb")},
    )


def _build(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retention.build"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _count(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_orders").fetchone()[0]


def _raw_with_extra_order(tmp_path: Path) -> Path:
    raw = tmp_path / "raw_v2"
    shutil.copytree(DATA_DIR / "tiny", raw)
    with open(raw / "orders.csv", "a", encoding="utf-8") as orders:
        orders.write("O10,S1,C2,2024-06-30 12:00:00,completed,USD,12.00,0,0,0,web,mobile,\n")
    return raw


@pytest.fixture
def published(tmp_path: Path) -> Path:
    result = _build(_env(tmp_path, DATA_DIR / "tiny"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    bi = tmp_path / "bi.duckdb"
    assert _count(bi) == 9
    return bi


def test_open_reader_does_not_block_build_and_keeps_old_data(
    published: Path, tmp_path: Path
) -> None:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    try:
        reader.stdin.write("read\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "9"

        result = _build(_env(tmp_path, _raw_with_extra_order(tmp_path)))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

        reader.stdin.write("read\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "9", "the open reader saw new data"
        assert _count(published) == 10, "a new connection must see the new build"
    finally:
        reader.kill()
        reader.wait()


def test_failed_build_publishes_nothing(published: Path, tmp_path: Path) -> None:
    raw = tmp_path / "broken"
    shutil.copytree(DATA_DIR / "tiny", raw)
    (raw / "orders.csv").write_text("order_id,store_id\nX,S1\n")
    result = _build(_env(tmp_path, raw))
    assert result.returncode != 0
    assert "nothing published" in result.stderr
    assert _count(published) == 9


def test_killed_build_leaves_published_warehouse_intact(published: Path, tmp_path: Path) -> None:
    before = published.stat().st_mtime_ns
    env = _env(tmp_path, _raw_with_extra_order(tmp_path))
    build = subprocess.Popen(
        [sys.executable, "-m", "retention.build"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert build.stdout is not None
    deadline = time.monotonic() + 600
    for line in build.stdout:  # kill it in the middle of the staging models
        if "START sql table model staging." in line or time.monotonic() > deadline:
            break
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()

    assert published.stat().st_mtime_ns == before
    assert _count(published) == 9
    assert not list(published.parent.glob("bi.duckdb.tmp-*"))

    result = _build(env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _count(published) == 10
