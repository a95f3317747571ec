"""How the build stores its tables: no 128-bit numbers (DECISIONLOG.md "Money
sums stored as decimal(18, 2)"), strings without FSST or ZSTD in the build
file but with them in the published copy (DECISIONLOG.md "Build file:
strings stored without FSST")."""

from __future__ import annotations

from pathlib import Path

import duckdb

from retention.publish import publish_marts
from retention.tests.conftest import Warehouse

#: the methods the profile's disabled_compression_methods leaves out
STRING_METHODS = ("FSST", "DICT_FSST", "ZSTD")
BUILT_SCHEMAS = ("staging", "intermediate", "marts")


def _segments_by_method(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Column segments per compression method over the built schemas' tables."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        f"where database_name = ? and schema_name in {BUILT_SCHEMAS}",
        [catalog],
    ).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        for method, segments in con.execute(
            f"select upper(compression), count(*) from "
            f"pragma_storage_info('{catalog}.{schema}.{table}') group by all"
        ).fetchall():
            counts[method] = counts.get(method, 0) + segments
    return counts


def test_no_table_stores_128_bit_numbers(sample_warehouse: Warehouse) -> None:
    """A `sum()` of decimal(18, 2) is a decimal(38, 2), which DuckDB stores as
    a 128-bit integer: at 10M orders, three such columns of 2.4M customers
    cost 1.1 s to write and 0.7 s to read, against 0.08 and 0.01 s as
    decimal(18, 2). Every stored column stays within 64 bits."""
    wide = sample_warehouse.query(
        """
        select columns.schema_name, columns.table_name, columns.column_name, columns.data_type
        from duckdb_columns() as columns
        inner join duckdb_tables() as tables
            on columns.database_oid = tables.database_oid and columns.table_oid = tables.table_oid
        where columns.data_type in ('HUGEINT', 'UHUGEINT')
            or (columns.data_type like 'DECIMAL(%' and columns.numeric_precision > 18)
        """
    )
    tables = sample_warehouse.query(
        "select count(*) from duckdb_tables() "
        "where schema_name in ('staging', 'intermediate', 'marts')"
    )
    assert tables[0][0] > 20, "the sample warehouse holds no tables to check"
    assert not wide, f"128-bit columns stored: {wide}"


def test_build_stores_strings_without_fsst(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    """The profile's disabled_compression_methods: no built table holds an
    FSST or ZSTD segment. The same rows copied with DuckDB's defaults do
    (so the check can fail), and so does the published copy BI tools read."""
    copy = tmp_path / "default_methods.duckdb"
    published = tmp_path / "retention_bi.duckdb"
    publish_marts(sample_warehouse.path, published, sample_warehouse.target_path / "manifest.json")
    with duckdb.connect(str(copy)) as con:
        con.execute(f"attach '{sample_warehouse.path}' as build (read_only)")
        con.execute(f"attach '{published}' as pub (read_only)")
        for schema in BUILT_SCHEMAS:
            con.execute(f"create schema {schema}")
            for (table,) in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'build' and schema_name = ?",
                [schema],
            ).fetchall():
                con.execute(
                    f"create table {schema}.{table} as select * from build.{schema}.{table}"
                )
        con.execute("checkpoint")
        built = _segments_by_method(con, "build")
        defaults = _segments_by_method(con, copy.stem)
        publishing = _segments_by_method(con, "pub")
    assert sum(built.values()) > 500, built
    assert not {m: n for m, n in built.items() if m in STRING_METHODS}, built
    assert sum(n for m, n in defaults.items() if m in STRING_METHODS) > 0, defaults
    assert sum(n for m, n in publishing.items() if m in STRING_METHODS) > 0, publishing
