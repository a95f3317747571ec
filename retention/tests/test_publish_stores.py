"""Per-store BI files: each holds its store's rows only, equals the published
marts filtered to the store, and industry rows appear only where they reveal
no single other store. File names are safe whatever the store id."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from retention.publish import (
    INDUSTRY_TABLES,
    METADATA_TABLES,
    publish_marts,
    publish_stores,
    store_file_name,
)
from retention.tests.conftest import Warehouse

K = 3


@pytest.fixture(scope="module")
def published(tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    destination = tmp_path_factory.mktemp("stores") / "retention_bi.duckdb"
    publish_marts(tiny_warehouse.path, destination, tiny_warehouse.target_path / "manifest.json")
    return destination


@pytest.fixture(scope="module")
def store_files(published: Path) -> dict[str, Path]:
    directory = published.parent / "stores"
    files = publish_stores(published, directory, min_other_stores=K)
    return {item.path.name: item.path for item in files}


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() order by table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_one_file_per_store(store_files: dict[str, Path], published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        stores = {
            s for (s,) in con.execute("select distinct store_id from marts.fct_orders").fetchall()
        }
    assert stores == {"S1", "S2"}
    assert set(store_files) == {"S1.duckdb", "S2.duckdb"}
    assert not list(next(iter(store_files.values())).parent.glob("*.tmp-*"))


@pytest.mark.parametrize("store", ["S1", "S2"])
def test_no_row_of_another_store(store: str, store_files: dict[str, Path]) -> None:
    with duckdb.connect(str(store_files[f"{store}.duckdb"]), read_only=True) as con:
        schemas = {
            s
            for (s,) in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
        assert schemas == {"marts"}
        tables = _tables(con)
        assert len(tables) >= 13
        for table, columns in tables.items():
            if "store_id" in columns:
                other = con.execute(
                    f"select count(*) filter (store_id is distinct from ?) from marts.{table}",
                    [store],
                ).fetchone()[0]
                assert other == 0, f"{table}: {other} rows of another store"
            else:
                # justified: metadata (no store's data) or an industry table
                # filtered by the k-other-stores rule (checked below)
                assert table in METADATA_TABLES or table in INDUSTRY_TABLES, table
        assert con.execute("select count(*) from marts.fct_orders").fetchone()[0] > 0


def _expected_industry(con: duckdb.DuckDBPyConnection, table: str, store: str) -> pd.DataFrame:
    """The rule written again in pandas: a row is kept when its segment has no
    store but `store`, or it aggregates at least K + 1 stores (so K others)."""
    rows = con.execute(f"select * from pub.marts.{table}").df()
    customers = con.execute("select store_id, industry_segment from pub.marts.dim_customers").df()
    stores_by_segment = customers.groupby("industry_segment")["store_id"].agg(lambda s: set(s))
    own_only = {seg for seg, stores in stores_by_segment.items() if stores == {store}}
    if "stores_count" in rows.columns:
        keep = rows["industry_segment"].isin(own_only) | (rows["stores_count"] >= K + 1)
    else:
        counts = rows["industry_segment"].map(lambda seg: len(stores_by_segment.get(seg, set())))
        if "parameter_source" in rows.columns:
            pooled = rows["parameter_source"] == "pooled"
            counts = counts.where(~pooled, customers["store_id"].nunique())
            keep = (counts >= K + 1) | (~pooled & rows["industry_segment"].isin(own_only))
        else:
            keep = rows["industry_segment"].isin(own_only) | (counts >= K + 1)
    return rows[keep]


def _same_rows(con: duckdb.DuckDBPyConnection, left: str, right: str) -> tuple[int, int]:
    missing = con.execute(f"select count(*) from ({left} except all {right})").fetchone()[0]
    extra = con.execute(f"select count(*) from ({right} except all {left})").fetchone()[0]
    return missing, extra


@pytest.mark.parametrize("store", ["S1", "S2"])
def test_file_equals_marts_filtered_to_the_store(
    store: str, store_files: dict[str, Path], published: Path
) -> None:
    with duckdb.connect() as con:
        con.execute(f"attach '{published}' as pub (read_only)")
        con.execute(f"attach '{store_files[f'{store}.duckdb']}' as store (read_only)")
        main_tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'pub'"
            ).fetchall()
        }
        store_tables = {
            t
            for (t,) in con.execute(
                "select table_name from information_schema.tables where table_catalog = 'store'"
            ).fetchall()
        }
        assert main_tables == store_tables
        industry_checked = 0
        for table in sorted(main_tables):
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_catalog = 'pub' and table_name = ?",
                    [table],
                ).fetchall()
            ]
            mine = f"select * from store.marts.{table}"
            if "store_id" in columns:
                expected = f"select * from pub.marts.{table} where store_id = '{store}'"
            elif table in METADATA_TABLES:
                expected = f"select * from pub.marts.{table}"
            else:
                frame = _expected_industry(con, table, store)
                con.register("expected_frame", frame)
                expected = "select * from expected_frame"
                industry_checked += 1
            missing, extra = _same_rows(con, expected, mine)
            assert (missing, extra) == (0, 0), f"{table}: {missing} missing, {extra} extra"
        assert industry_checked == len(INDUSTRY_TABLES)


def test_industry_rows_of_a_lone_other_store_are_left_out(
    store_files: dict[str, Path], published: Path
) -> None:
    """tiny: S1 is the only grocery store, S2 the only fashion store. S1 sees
    the grocery industry rows (its own data) and no fashion row (S2's data)."""
    with duckdb.connect(str(published), read_only=True) as con:
        segments = dict(
            con.execute(
                "select distinct store_id, industry_segment from marts.dim_customers"
            ).fetchall()
        )
        main_segments = {
            s
            for (s,) in con.execute(
                "select distinct industry_segment from marts.rpt_retention_by_industry"
            ).fetchall()
        }
    assert main_segments == set(segments.values()) and len(main_segments) == 2
    for store, segment in segments.items():
        with duckdb.connect(str(store_files[f"{store}.duckdb"]), read_only=True) as con:
            seen = {
                s
                for (s,) in con.execute(
                    "select distinct industry_segment from marts.rpt_retention_by_industry"
                ).fetchall()
            }
        assert seen == {segment}, (store, seen)


def _synthetic_published(path: Path, stores: list[str], extra_sql: str = "") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_orders (store_id varchar, order_id varchar)")
        con.executemany(
            "insert into marts.fct_orders values (?, ?)",
            [(s, f"O{i}") for i, s in enumerate(stores)],
        )
        con.execute("create table marts.bi_columns (table_name varchar)")
        con.execute("create table marts.bi_run_parameters (published_at timestamp)")
        if extra_sql:
            con.execute(extra_sql)
    return path


def test_unsafe_store_ids_stay_inside_the_folder(tmp_path: Path) -> None:
    stores = ["../escape", "a/b", "..", ".hidden", "marts", "S 1%", "Ünïcode", "S1"]
    source = _synthetic_published(tmp_path / "bi.duckdb", stores)
    directory = tmp_path / "out" / "stores"
    files = publish_stores(source, directory, min_other_stores=K)
    names = sorted(item.path.name for item in files)
    assert len(set(names)) == len(stores)
    assert sorted(p.name for p in directory.iterdir()) == names
    assert not list((tmp_path / "out").glob("*.duckdb")) and not list(tmp_path.glob("escape*"))
    for item in files:
        assert item.path.parent == directory
        assert "/" not in item.path.name and not item.path.name.startswith(".")
    assert store_file_name("../escape") == "%2E.%2Fescape.duckdb"
    assert store_file_name("marts") == "%6Darts.duckdb"
    with duckdb.connect(str(directory / store_file_name("a/b")), read_only=True) as con:
        assert con.execute("select store_id from marts.fct_orders").fetchall() == [("a/b",)]


def test_a_mart_without_store_id_and_without_a_rule_stops_publishing(tmp_path: Path) -> None:
    source = _synthetic_published(
        tmp_path / "bi.duckdb",
        ["S1", "S2"],
        "create table marts.rpt_new_thing as select 'S1' as shop, 1 as revenue",
    )
    with pytest.raises(RuntimeError, match="rpt_new_thing"):
        publish_stores(source, tmp_path / "stores")
    assert not (tmp_path / "stores").exists() or not list((tmp_path / "stores").iterdir())


def test_a_build_file_is_refused(tmp_path: Path) -> None:
    """Only a published (validated, marts-only) file is split per store."""
    source = _synthetic_published(
        tmp_path / "build.duckdb",
        ["S1"],
        "create schema staging; create table staging.rejects as select 'S2' as store_id",
    )
    with pytest.raises(RuntimeError, match="not a build file"):
        publish_stores(source, tmp_path / "stores")
