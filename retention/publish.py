"""Publishing for BI tools: the marts-only file and one file per store.

`publish_marts()` writes BI_WAREHOUSE_PATH: the tables of schema `marts` of
the validated build (views materialised as tables), plus two small metadata
tables for BI users: `marts.bi_columns` (every column with its description
from the dbt manifest, also set as DuckDB comments) and
`marts.bi_run_parameters` (the build's parameters, publication time). No
other schema: raw views, staging tables with rejected rows' raw values and
intermediate tables stay in the build file.

`publish_stores()` writes one file per store into BI_STORES_DIR, from the
published file (so only from a build that passed validation): only that
store's rows of every mart with a `store_id`, and industry rows only where
they reveal no single other store (see `industry_rows_filter()` and
DECISIONLOG.md).

Every file is built next to its destination under a temporary name, synced
and moved over the destination with `os.replace`: a reader that holds the old
file keeps reading it, a new connection sees the new one, a failure leaves
the old one in place.

`python -m retention.publish stores` is `make publish-stores`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from retention.dbt import PROJECT_ROOT, target_path

MARTS = "marts"
COLUMNS_TABLE = "bi_columns"
RUN_TABLE = "bi_run_parameters"
METADATA_TABLES = (COLUMNS_TABLE, RUN_TABLE)
RUN_PARAMETERS_SOURCE = "intermediate.int_run_parameters"
DEFAULT_STORES_DIR = PROJECT_ROOT / "warehouse" / "stores"
DEFAULT_MIN_OTHER_STORES = 3
# Marts without store_id: aggregates over the stores of an industry segment.
# `stores_count` / `stores`: the row says in that column how many stores it
# aggregates; `segment`: the stores of the row's segment; `segment_fit`: the
# same, or all stores for a pooled CLV fit. A mart without
# store_id that is missing here stops publish_stores() (no silent full copy).
INDUSTRY_TABLES: dict[str, str] = {
    "rpt_retention_by_industry": "stores_count",
    "rpt_cohort_retention_by_industry": "stores_count",
    "clv_model_parameters": "segment_fit",
    "rpt_clv_model_evaluation": "segment",
    "rpt_cohort_survival_by_industry": "stores",
    "rpt_next_purchase_calibration": "segment",
}
# Characters kept as they are in a store's file name; everything else
# (path separators, '%', spaces, non-ASCII) is percent-encoded.
_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_MAX_NAME_BYTES = 200


@dataclass(frozen=True)
class Published:
    path: Path
    size_bytes: int
    seconds: float
    tables: int


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def store_file_name(store_id: str) -> str:
    """`<store_id>.duckdb` with every character outside [A-Za-z0-9_.-] and a
    leading dot percent-encoded (UTF-8): distinct ids give distinct names, and
    no id can name a path outside the folder ('../x' -> '%2E.%2Fx.duckdb').
    An id spelled like the schema (`marts`) gets its first letter encoded:
    DuckDB names the catalog after the file, and `marts.t` would be ambiguous."""
    if not store_id:
        raise ValueError("empty store_id: no file name for it")
    encoded = "".join(
        char if char in _SAFE_CHARS else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in store_id
    )
    if encoded.startswith(".") or encoded.lower() == MARTS:
        # no hidden file; no catalog named like the schema (`marts.x` would be ambiguous)
        encoded = f"%{ord(encoded[0]):02X}" + encoded[1:]
    name = encoded + ".duckdb"
    if len(name.encode()) > _MAX_NAME_BYTES:
        raise ValueError(f"store_id too long for a file name: {store_id[:40]!r}...")
    return name


@contextmanager
def atomic_duckdb_file(destination: Path) -> Iterator[Path]:
    """Yield a temporary path next to `destination`; on success move it over
    `destination` (after fsync), on failure delete it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + f".tmp-{os.getpid()}")
    wal = partial.with_name(partial.name + ".wal")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        if wal.exists():
            raise RuntimeError(f"{partial} still has a WAL file: not checkpointed")
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, destination)
        directory = os.open(destination.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        partial.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = ? order by table_name",
        [catalog, MARTS],
    ).fetchall()
    return [name for (name,) in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [catalog, MARTS, table],
    ).fetchall()
    return [name for (name,) in rows]


def manifest_descriptions(manifest: Path | None) -> dict[str, tuple[str, dict[str, str]]]:
    """Model name -> (model description, {column: description}) of the marts."""
    if manifest is None or not manifest.exists():
        return {}
    nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "model" or node.get("schema") != MARTS:
            continue
        columns = {
            name.lower(): (column.get("description") or "").strip()
            for name, column in node.get("columns", {}).items()
        }
        name = node.get("alias") or node["name"]
        found[name] = ((node.get("description") or "").strip(), columns)
    return found


def default_manifest() -> Path:
    return target_path() / "manifest.json"


def _write_metadata(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    descriptions: dict[str, tuple[str, dict[str, str]]],
    has_run_parameters: bool,
) -> None:
    rows: list[tuple[str, str, int, str, str | None, str | None]] = []
    comments: list[str] = []
    for table in tables:
        model_description, column_descriptions = descriptions.get(table, ("", {}))
        if model_description:
            comments.append(
                f"comment on table dst.{MARTS}.{quote_identifier(table)} is "
                f"{quote_literal(model_description)}"
            )
        for position, name, data_type in con.execute(
            "select ordinal_position, column_name, data_type from information_schema.columns "
            "where table_catalog = 'dst' and table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [MARTS, table],
        ).fetchall():
            description = column_descriptions.get(name.lower()) or None
            if description:
                column = f"dst.{MARTS}.{quote_identifier(table)}.{quote_identifier(name)}"
                comments.append(f"comment on column {column} is {quote_literal(description)}")
            rows.append((table, name, position, data_type, description, model_description or None))
    if comments:
        con.execute(";\n".join(comments))
    con.execute(
        f"create table dst.{MARTS}.{COLUMNS_TABLE} (table_name varchar, column_name varchar, "
        "ordinal_position integer, data_type varchar, description varchar, "
        "table_description varchar)"
    )
    if rows:
        con.executemany(f"insert into dst.{MARTS}.{COLUMNS_TABLE} values (?, ?, ?, ?, ?, ?)", rows)
    source = f"src.{RUN_PARAMETERS_SOURCE}" if has_run_parameters else "(select 1 as _none)"
    columns = "* exclude (_none)" if not has_run_parameters else "*"
    con.execute(
        f"create table dst.{MARTS}.{RUN_TABLE} as select {columns}, "
        "cast(now() as timestamp) as published_at "
        f"from {source}"
    )


def publish_marts(source: Path, destination: Path, manifest: Path | None = None) -> Published:
    """Write `destination`: schema marts of `source` as tables + metadata."""
    started = time.perf_counter()
    descriptions = manifest_descriptions(manifest if manifest is not None else default_manifest())
    with atomic_duckdb_file(destination) as partial, duckdb.connect() as con:
        con.execute(f"attach {quote_literal(str(source))} as src (read_only)")
        con.execute(f"attach {quote_literal(str(partial))} as dst")
        tables = _relations(con, "src")
        if not tables:
            raise RuntimeError(f"{source} has no schema {MARTS}: nothing to publish")
        clash = sorted(set(tables) & set(METADATA_TABLES))
        if clash:
            raise RuntimeError(f"marts {clash} clash with the BI metadata tables")
        has_run_parameters = bool(
            con.execute(
                "select count(*) from information_schema.tables where table_catalog = 'src' "
                "and table_schema || '.' || table_name = ?",
                [RUN_PARAMETERS_SOURCE],
            ).fetchone()[0]
        )
        con.execute("begin")  # one commit: a commit per statement syncs the file each time
        con.execute(f"create schema dst.{MARTS}")
        for table in tables:
            name = quote_identifier(table)
            con.execute(f"create table dst.{MARTS}.{name} as select * from src.{MARTS}.{name}")
        _write_metadata(con, tables, descriptions, has_run_parameters)
        con.execute("commit")
        con.execute("checkpoint dst")
        con.execute("detach dst")
        con.execute("detach src")
    return Published(
        destination, destination.stat().st_size, time.perf_counter() - started, len(tables) + 2
    )


def industry_rows_filter(rule: str, store_id: str, min_other_stores: int) -> str:
    """SQL condition on an industry table (alias t) of catalog `src`: the row
    is kept for `store_id` when it reveals no single other store:
    - the row's segment has no store but this one (the row is its own data), or
    - at least `min_other_stores` stores besides this one are in the row
      (`stores_count` >= k + 1 whether or not this store is among them; for
      tables without a per-row count, the stores of the segment in
      dim_customers, or all stores for a pooled CLV fit).
    """
    store = quote_literal(store_id)
    segment_stores = (
        f"(select count(distinct c.store_id) from src.{MARTS}.dim_customers c "
        "where c.industry_segment = t.industry_segment)"
    )
    all_stores = f"(select count(distinct c.store_id) from src.{MARTS}.dim_customers c)"
    own_only = (
        "not exists (select 1 from src.marts.dim_customers c "
        f"where c.industry_segment = t.industry_segment and c.store_id <> {store}) "
        "and exists (select 1 from src.marts.dim_customers c "
        f"where c.industry_segment = t.industry_segment and c.store_id = {store})"
    )
    enough = min_other_stores + 1
    if rule in ("stores_count", "stores"):
        return f"(t.{rule} >= {enough} or ({own_only}))"
    if rule == "segment":
        return f"({segment_stores} >= {enough} or ({own_only}))"
    if rule == "segment_fit":
        return (
            f"(case when t.parameter_source = 'pooled' then {all_stores} >= {enough} "
            f"else ({segment_stores} >= {enough} or ({own_only})) end)"
        )
    raise ValueError(f"unknown industry rule {rule!r}")


def store_ids(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    selects = [
        f"select store_id from {catalog}.{MARTS}.{quote_identifier(table)}"
        for table in _relations(con, catalog)
        if "store_id" in _columns(con, catalog, table)
    ]
    if not selects:
        return []
    union = " union ".join(selects)
    rows = con.execute(
        f"select store_id from ({union}) where store_id is not null order by 1"
    ).fetchall()
    return [store for (store,) in rows]


def _copy_store(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    with_store_id: set[str],
    store_id: str,
    min_other_stores: int,
) -> None:
    """Tables of dst = tables of src (types, comments), rows of `store_id` only."""
    con.execute("copy from database src to dst (schema)")
    for table in tables:
        name = quote_identifier(table)
        if table in with_store_id:
            condition = f"t.store_id = {quote_literal(store_id)}"
        elif table in METADATA_TABLES:
            condition = "true"  # no store's data: column docs, run parameters
        else:
            condition = industry_rows_filter(INDUSTRY_TABLES[table], store_id, min_other_stores)
        con.execute(
            f"insert into dst.{MARTS}.{name} select t.* from src.{MARTS}.{name} t where {condition}"
        )


def publish_stores(
    source: Path, directory: Path, min_other_stores: int = DEFAULT_MIN_OTHER_STORES
) -> list[Published]:
    """One `<store_id>.duckdb` per store of `source` (a published marts file)."""
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist: run `make build` first")
    if min_other_stores < 1:
        raise ValueError("min_other_stores must be at least 1")
    published: list[Published] = []
    with duckdb.connect() as con:
        con.execute(f"attach {quote_literal(str(source))} as src (read_only)")
        schemas = {
            schema
            for (schema,) in con.execute(
                "select distinct table_schema from information_schema.tables "
                "where table_catalog = 'src'"
            ).fetchall()
        }
        if schemas != {MARTS}:
            raise RuntimeError(
                f"{source} has schemas {sorted(schemas)}: give the published file "
                f"(BI_WAREHOUSE_PATH, schema {MARTS} only), not a build file"
            )
        tables = _relations(con, "src")
        with_store_id = {table for table in tables if "store_id" in _columns(con, "src", table)}
        unknown = [
            table
            for table in tables
            if table not in with_store_id
            and table not in METADATA_TABLES
            and table not in INDUSTRY_TABLES
        ]
        if unknown:
            raise RuntimeError(
                f"marts without store_id and without a rule in retention/publish.py "
                f"INDUSTRY_TABLES: {unknown}"
            )
        stores = store_ids(con, "src")
        names = {store: store_file_name(store) for store in stores}
        for store in stores:
            started = time.perf_counter()
            destination = directory / names[store]
            with atomic_duckdb_file(destination) as partial:
                con.execute(f"attach {quote_literal(str(partial))} as dst")
                try:
                    con.execute("begin")
                    _copy_store(con, tables, with_store_id, store, min_other_stores)
                    con.execute("commit")
                    con.execute("checkpoint dst")
                finally:
                    con.execute("detach dst")
            published.append(
                Published(
                    destination,
                    destination.stat().st_size,
                    time.perf_counter() - started,
                    len(tables),
                )
            )
    current = set(names.values())
    stale = sorted(path.name for path in directory.glob("*.duckdb") if path.name not in current)
    if stale:
        print(
            f"note: {len(stale)} file(s) in {directory} belong to no store of this build "
            f"(left in place): {', '.join(stale[:10])}",
            file=sys.stderr,
        )
    return published


def full_copy(source: Path, destination: Path) -> Published:
    """What `make build` published before: a checkpointed copy of the whole
    build file (all schemas). Kept for `measure` only."""
    started = time.perf_counter()
    with duckdb.connect(str(source)) as con:
        con.execute("checkpoint")
    with atomic_duckdb_file(destination) as partial:
        shutil.copyfile(source, partial)
    return Published(destination, destination.stat().st_size, time.perf_counter() - started, 0)


def measure(warehouse: Path, work: Path) -> list[tuple[str, int, float, int]]:
    """(what, bytes, seconds, files): full copy vs marts-only vs per-store."""
    work.mkdir(parents=True, exist_ok=True)
    copy = full_copy(warehouse, work / "full_copy.duckdb")
    marts = publish_marts(warehouse, work / "retention_bi.duckdb")
    stores = publish_stores(marts.path, work / "stores", min_other_stores())
    copy.path.unlink()
    return [
        ("build file, whole (before: published as is)", warehouse.stat().st_size, copy.seconds, 1),
        ("marts-only published file", marts.size_bytes, marts.seconds, 1),
        (
            "per-store files (all stores)",
            sum(item.size_bytes for item in stores),
            sum(item.seconds for item in stores),
            len(stores),
        ),
    ]


def stores_dir() -> Path:
    return Path(os.environ.get("BI_STORES_DIR") or DEFAULT_STORES_DIR)


def min_other_stores() -> int:
    return int(os.environ.get("BI_INDUSTRY_MIN_OTHER_STORES") or DEFAULT_MIN_OTHER_STORES)


def main(argv: list[str] | None = None) -> int:
    from retention.build import bi_warehouse_path

    parser = argparse.ArgumentParser(description="publish files for BI tools")
    sub = parser.add_subparsers(dest="command", required=True)
    stores = sub.add_parser("stores", help="one DuckDB file per store into BI_STORES_DIR")
    stores.add_argument("--source", type=Path, default=None, help="default: BI_WAREHOUSE_PATH")
    stores.add_argument("--out", type=Path, default=None, help="default: BI_STORES_DIR")
    timing = sub.add_parser("measure", help="size and time: full copy vs marts-only vs per-store")
    timing.add_argument("--warehouse", type=Path, required=True, help="a build file")
    timing.add_argument("--work", type=Path, required=True, help="scratch folder (files kept)")
    args = parser.parse_args(argv)

    if args.command == "measure":
        print("| published | files | size (MB) | time (s) |\n|---|---:|---:|---:|")
        for what, size, seconds, files in measure(args.warehouse, args.work):
            print(f"| {what} | {files} | {size / 1e6:,.1f} | {seconds:.1f} |")
        return 0

    source = args.source or bi_warehouse_path()
    directory = args.out or stores_dir()
    try:
        files = publish_stores(source, directory, min_other_stores())
    except (FileNotFoundError, RuntimeError, ValueError) as error:
        print(f"publish-stores: {error}", file=sys.stderr)
        return 2
    total = sum(item.size_bytes for item in files)
    seconds = sum(item.seconds for item in files)
    print(
        f"published {len(files)} store file(s) into {directory} "
        f"({total / 1e6:.1f} MB, {seconds:.1f} s) from {source}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
