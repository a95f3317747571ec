"""No relation of the warehouse returns a clear-text e-mail address."""

from __future__ import annotations

import duckdb

from retention.dbt import PROJECT_ROOT
from retention.tests.conftest import Warehouse

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def _text_columns(warehouse: Warehouse) -> list[tuple[str, str, str]]:
    return warehouse.query(
        """
        select table_schema, table_name, column_name
        from information_schema.columns
        where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')
        """
    )


def test_no_relation_returns_an_email(sample_warehouse: Warehouse) -> None:
    raw_emails = {
        row[0].strip().lower()
        for row in duckdb.sql(
            f"select email from '{PROJECT_ROOT}/data/sample/customers.parquet' "
            "where email is not null"
        ).fetchall()
    }
    assert len(raw_emails) > 1000  # the sample does contain e-mails
    columns = _text_columns(sample_warehouse)
    assert len(columns) > 50
    leaks = []
    # views (raw layer) included: they read the raw files at query time
    with duckdb.connect(str(sample_warehouse.path), read_only=True) as con:
        con.execute("create temp table raw_emails (email varchar)")
        con.executemany("insert into raw_emails values (?)", [(e,) for e in raw_emails])
        for schema, table, column in columns:
            relation = f'"{schema}"."{table}"'
            pattern_hits = con.execute(
                f'select count(*) from {relation} where regexp_matches("{column}", ?)',
                [EMAIL_PATTERN],
            ).fetchone()[0]
            value_hits = con.execute(
                f"select count(*) from {relation} "
                f'where lower(trim("{column}")) in (select email from raw_emails)'
            ).fetchone()[0]
            if pattern_hits or value_hits:
                leaks.append(f"{schema}.{table}.{column}: {pattern_hits} pattern, {value_hits} raw")
    assert not leaks, leaks


def test_the_scan_finds_a_planted_email(sample_warehouse: Warehouse, tmp_path) -> None:
    """The scanner is not blind: a planted address is found."""
    import shutil

    copy = tmp_path / "planted.duckdb"
    shutil.copy(sample_warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.dim_customers set email_hash = 'jane.doe@example.com' where true")
    planted = Warehouse(copy, sample_warehouse.result, sample_warehouse.target_path)
    with duckdb.connect(str(copy), read_only=True) as con:
        hits = con.execute(
            "select count(*) from marts.dim_customers where regexp_matches(email_hash, ?)",
            [EMAIL_PATTERN],
        ).fetchone()[0]
    assert hits > 0
    assert ("marts", "dim_customers", "email_hash") in _text_columns(planted)
