"""No relation of the warehouse returns a clear-text e-mail address.

`email_leaks` scans every text column of every table and view (the raw
layer's views included: they read the raw files at query time) for an
address pattern and for the raw files' addresses themselves. It runs on the
sample build, and on a build whose rejected rows carry e-mails (the rejects'
`raw_values` keep every raw column: the address must be hashed there too).
The negative controls plant an address and run the same scanner.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from retention.dbt import PROJECT_ROOT
from retention.tests.conftest import DATA_DIR, Warehouse, build_once

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
TEXT_TYPES = ("VARCHAR", "JSON")
# customers rejected by staging (unparseable created_at, missing key), each with an address
REJECTED_CUSTOMERS = (
    "S2,C4,yesterday,dora.rejected@mail.test,DE,true,\n"
    "S1,,2024-02-03 09:00:00,eve.rejected@mail.test,US,false,\n"
)


def email_leaks(path: Path, raw_emails: set[str]) -> list[str]:
    """Text columns holding an address: `schema.table.column: hits` (empty = no leak)."""
    leaks = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            f"""
            select table_schema, table_name, column_name
            from information_schema.columns
            where data_type in {TEXT_TYPES}
              and table_schema not in ('information_schema', 'pg_catalog')
            """
        ).fetchall()
        con.execute("create temp table raw_emails (email varchar)")
        con.executemany("insert into raw_emails values (?)", [(e,) for e in raw_emails])
        for schema, table, column in columns:
            relation = f'"{schema}"."{table}"'
            value = f'cast("{column}" as varchar)'
            pattern_hits, value_hits = con.execute(
                f"select count(*) filter (where regexp_matches({value}, ?)), "
                f"count(*) filter (where lower(trim({value})) in (select email from raw_emails)) "
                f"from {relation}",
                [EMAIL_PATTERN],
            ).fetchone()
            if pattern_hits or value_hits:
                leaks.append(f"{schema}.{table}.{column}: {pattern_hits} pattern, {value_hits} raw")
    return leaks


def text_columns(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            f"select count(*) from information_schema.columns where data_type in {TEXT_TYPES}"
        ).fetchone()[0]


def raw_emails(raw_dir: Path) -> set[str]:
    files = sorted(raw_dir.glob("customers.*"))
    assert files, raw_dir
    return {
        row[0].strip().lower()
        for row in duckdb.sql(
            f"select email from '{files[0]}' where email is not null and email <> ''"
        ).fetchall()
    }


@pytest.fixture(scope="module")
def rejects_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny dataset plus customers staging rejects, each with an e-mail address."""
    raw = tmp_path_factory.mktemp("pii_raw")
    for file in (DATA_DIR / "tiny").glob("*.csv"):
        shutil.copy(file, raw / file.name)
    with open(raw / "customers.csv", "a") as handle:
        handle.write(REJECTED_CUSTOMERS)
    return raw


@pytest.fixture(scope="module")
def rejects_warehouse(tmp_path_factory: pytest.TempPathFactory, rejects_raw: Path) -> Warehouse:
    command = ("build", "-s", "+stg_shop__rejects", "--resource-type", "model", "--resource-type")
    return build_once(tmp_path_factory, rejects_raw, "pii", (*command, "seed"))


def test_no_relation_of_the_sample_returns_an_email(sample_warehouse: Warehouse) -> None:
    emails = raw_emails(PROJECT_ROOT / "data" / "sample")
    assert len(emails) > 1000  # the sample does contain e-mails
    assert text_columns(sample_warehouse.path) > 50
    assert email_leaks(sample_warehouse.path, emails) == []


def test_rejected_rows_keep_no_email(rejects_warehouse: Warehouse, rejects_raw: Path) -> None:
    rejected = rejects_warehouse.query(
        "select raw_values from staging.stg_shop__rejects where raw_table = 'customers'"
    )
    assert len(rejected) == 2 and all(row[0] for row in rejected), rejected
    emails = raw_emails(rejects_raw)
    assert {"dora.rejected@mail.test", "eve.rejected@mail.test"} <= emails
    assert email_leaks(rejects_warehouse.path, emails) == []


@pytest.mark.parametrize(
    ("relation", "column", "where"),
    [
        ("marts.dim_customers", "email_hash", "true"),
        ("staging.stg_shop__rejects", "raw_values", "raw_table = 'customers'"),
    ],
)
def test_the_scanner_finds_a_planted_email(
    sample_warehouse: Warehouse,
    rejects_warehouse: Warehouse,
    tmp_path: Path,
    relation: str,
    column: str,
    where: str,
) -> None:
    """Negative control: the same scanner reports an address planted in a copy."""
    source = sample_warehouse if relation.startswith("marts") else rejects_warehouse
    copy = tmp_path / source.path.name  # same name: the views name the file's catalog
    shutil.copy(source.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f"update {relation} set {column} = {column} || ' jane.doe@example.com' where {where}"
        )
    leaks = email_leaks(copy, {"someone.else@example.com"})
    schema, table = relation.split(".")
    assert len(leaks) == 1 and leaks[0].startswith(f"{schema}.{table}.{column}: "), leaks
