"""BI-safe publishing: a reader holding the published warehouse never blocks a
build and never sees a half-built one; a failed or killed build publishes nothing."""

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
from retention.publish import publish_marts
from retention.tests.conftest import DATA_DIR, Warehouse

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
def published(tiny_warehouse: Warehouse, tmp_path: Path) -> Path:
    """The state a `make build` of the tiny dataset leaves, each test its own
    copy: the build's warehouse and target (the session's build of data/tiny)
    and the marts published from them (bi.duckdb)."""
    shutil.copy2(tiny_warehouse.path, tmp_path / "build.duckdb")
    shutil.copytree(tiny_warehouse.target_path, tmp_path / "target")
    publish_marts(
        tmp_path / "build.duckdb", tmp_path / "bi.duckdb", tmp_path / "target" / "manifest.json"
    )
    assert _count(tmp_path / "bi.duckdb") == 9
    return tmp_path / "bi.duckdb"


def _read(reader: subprocess.Popen[str]) -> str:
    assert reader.stdin is not None and reader.stdout is not None
    reader.stdin.write("read\n")
    reader.stdin.flush()
    return reader.stdout.readline().strip()


def _broken_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "broken"
    shutil.copytree(DATA_DIR / "tiny", raw)
    (raw / "orders.csv").write_text("order_id,store_id\nX,S1\n")
    return raw


def test_failed_and_killed_builds_and_open_reader_keep_the_published_warehouse(
    published: Path, tmp_path: Path
) -> None:
    """A reader holds the published file open while three builds run: one
    that fails (raw orders without their columns), one killed in the middle
    of the staging models, and one that runs to the end. The failed and the
    killed build publish nothing and leave no temporary file; the complete
    build is not blocked by the reader, the reader keeps seeing the data it
    opened, and a new connection sees the new build. (One scenario in one
    target folder: dbt parses the project in full once, about 20 CPU s.)"""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert _read(reader) == "9"
        before = published.stat().st_mtime_ns

        failed = _build(_env(tmp_path, _broken_raw(tmp_path)))
        assert failed.returncode != 0
        assert "nothing published" in failed.stderr
        assert published.stat().st_mtime_ns == before
        assert _count(published) == 9

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
        started_staging = False
        for line in build.stdout:  # kill it in the middle of the staging models
            if "START sql table model staging." in line:
                started_staging = True
                break
            if time.monotonic() > deadline:
                break
        os.killpg(build.pid, signal.SIGKILL)
        build.wait()
        assert started_staging, "the build never reached the staging models"

        assert published.stat().st_mtime_ns == before
        assert _count(published) == 9
        assert not list(published.parent.glob("bi.duckdb.tmp-*"))
        assert _read(reader) == "9"

        result = _build(env)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert _read(reader) == "9", "the open reader saw new data"
        assert _count(published) == 10, "a new connection must see the new build"
    finally:
        reader.kill()
        reader.wait()


def test_published_file_holds_the_marts_only(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    destination = tmp_path / "retention_bi.duckdb"
    published = publish_marts(
        tiny_warehouse.path, destination, tiny_warehouse.target_path / "manifest.json"
    )
    assert published.size_bytes == destination.stat().st_size
    assert not list(tmp_path.glob("*.tmp-*")) and not list(tmp_path.glob("*.wal"))
    with duckdb.connect() as con:
        con.execute(f"attach '{tiny_warehouse.path}' as build (read_only)")
        con.execute(f"attach '{destination}' as pub (read_only)")
        relations = con.execute(
            "select table_catalog, table_schema, table_name, table_type "
            "from information_schema.tables where table_catalog in ('build', 'pub')"
        ).fetchall()
        build_marts = {t for c, s, t, _ in relations if c == "build" and s == "marts"}
        published_rows = [(s, t, kind) for c, s, t, kind in relations if c == "pub"]
        assert {s for s, _, _ in published_rows} == {"marts"}
        assert {kind for _, _, kind in published_rows} == {"BASE TABLE"}
        assert {t for _, t, _ in published_rows} == build_marts | {
            "bi_columns",
            "bi_run_parameters",
        }
        assert len(build_marts) >= 11
        for table in build_marts:
            for left, right in (("build", "pub"), ("pub", "build")):
                extra = con.execute(
                    f"select count(*) from (select * from {left}.marts.{table} "
                    f"except all select * from {right}.marts.{table})"
                ).fetchone()[0]
                assert extra == 0, f"{table}: {extra} rows in {left} only"
            types = [
                con.execute(
                    "select list(data_type order by ordinal_position) "
                    "from information_schema.columns "
                    "where table_catalog = ? and table_schema = 'marts' and table_name = ?",
                    [catalog, table],
                ).fetchone()[0]
                for catalog in ("build", "pub")
            ]
            assert types[0] == types[1], table
        documented = con.execute(
            "select count(*), count(description), count(*) filter (c.comment = d.description) "
            "from pub.marts.bi_columns d join duckdb_columns() c on c.database_name = 'pub' "
            "and c.table_name = d.table_name and c.column_name = d.column_name "
            "where d.table_name not like 'bi\\_%' escape '\\'"
        ).fetchone()
        columns = con.execute(
            "select count(*) from information_schema.columns "
            "where table_catalog = 'build' and table_schema = 'marts'"
        ).fetchone()[0]
        assert documented == (columns, columns, columns), documented
        as_of, published_at = con.execute(
            "select as_of_date, published_at from pub.marts.bi_run_parameters"
        ).fetchone()
        assert str(as_of)[:10] == str(
            con.execute("select max(order_date) from build.marts.fct_orders").fetchone()[0]
        )
        assert published_at is not None


def test_views_in_marts_are_published_as_tables(tmp_path: Path) -> None:
    source = tmp_path / "build.duckdb"
    with duckdb.connect(str(source)) as con:
        con.execute("create schema staging")
        con.execute("create table staging.orders as select range as id from range(5)")
        con.execute("create schema marts")
        con.execute("create view marts.v_orders as select id * 2 as doubled from staging.orders")
    destination = tmp_path / "bi.duckdb"
    publish_marts(source, destination, manifest=tmp_path / "no_manifest.json")
    with duckdb.connect(str(destination), read_only=True) as con:
        assert con.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "order by table_name"
        ).fetchall() == [
            ("marts", "bi_columns", "BASE TABLE"),
            ("marts", "bi_run_parameters", "BASE TABLE"),
            ("marts", "v_orders", "BASE TABLE"),
        ]
        assert con.execute("select sum(doubled) from marts.v_orders").fetchone()[0] == 20
