"""The Great Expectations file context of the project (gx/) and warehouse facts."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import great_expectations as gx
from great_expectations.data_context import FileDataContext
from great_expectations.datasource.fluent import SQLDatasource

from retention.dbt import PROJECT_ROOT
from retention.validate import gx_patch
from retention.validate.suites import CONTRACT_MARTS, WarehouseFacts

GX_DIR = PROJECT_ROOT / "gx"
DATA_DOCS_INDEX = Path("uncommitted", "data_docs", "local_site", "index.html")  # in GX_DIR
DATASOURCE = "warehouse"
BATCH_DEFINITION = "whole_table"
RUN_PARAMETERS = "intermediate.int_run_parameters"
RFM_SEED = "raw.rfm_segments"


def default_warehouse_path() -> Path:
    return Path(os.environ.get("WAREHOUSE_PATH", PROJECT_ROOT / "warehouse" / "retention.duckdb"))


# Written from retention/validate/suites/ on every run (validation results
# and Data Docs are kept).
GENERATED_STORES = ("expectations", "validation_definitions", "checkpoints")


@contextmanager
def exclusive_use(gx_dir: Path) -> Iterator[None]:
    """One validation at a time per GX folder: each run replaces the stored
    suites, validation definitions and checkpoint (open_context), which a
    concurrent run (another `make build`, or `make test`'s sample build beside
    a test's) would be reading. Waits for the other run to end."""
    lock = gx_dir / "uncommitted" / "validation.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def open_context(warehouse: Path, gx_dir: Path = GX_DIR) -> FileDataContext:
    """The gx/ file context, its datasource pointed (read-only) at `warehouse`.

    `gx_dir` is another copy of the project's gx/ folder (tests use one in a
    temporary directory, to keep their results out of the repository's).

    The suites, validation definitions and checkpoint stored by the previous
    run are removed first: they are generated from code, and adding fresh
    ones is much faster than GX's add_or_update comparisons.
    """
    if not (gx_dir / "great_expectations.yml").is_file():
        raise FileNotFoundError(f"no great_expectations.yml in {gx_dir}")
    for store in GENERATED_STORES:
        shutil.rmtree(gx_dir / "uncommitted" / store, ignore_errors=True)
    gx_patch.apply()
    gx_patch.assert_active()
    os.environ["GX_WAREHOUSE_URL"] = f"duckdb:///{warehouse.resolve()}"
    context = gx.get_context(mode="file", context_root_dir=gx_dir)
    assert isinstance(context, FileDataContext)
    return context


def read_facts(warehouse: Path) -> WarehouseFacts:
    """Columns of the marts present, as_of_date and the RFM segment names."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('marts', 'intermediate', 'staging', 'raw')"
        ).fetchall()
        tables: dict[str, set[str]] = {}
        for schema, table, column in rows:
            tables.setdefault(f"{schema}.{table}", set()).add(column)
        columns = {
            mart: frozenset(tables[f"marts.{mart}"])
            for mart in CONTRACT_MARTS
            if f"marts.{mart}" in tables
        }
        if "as_of_date" in tables.get(RUN_PARAMETERS, set()):
            as_of = con.execute(f"select max(as_of_date) from {RUN_PARAMETERS}").fetchone()[0]
            as_of_source = RUN_PARAMETERS
        elif "fct_orders" in columns:
            as_of = con.execute("select max(order_date) from marts.fct_orders").fetchone()[0]
            as_of_source = "max(order_date) of fct_orders (no int_run_parameters: weaker check)"
        else:
            as_of, as_of_source = None, "unknown"
        rfm, rfm_source = _rfm_segments(con, tables)
    return WarehouseFacts(
        columns=columns,
        as_of_date=as_of if isinstance(as_of, dt.date) else dt.date.today(),
        as_of_source=as_of_source if as_of is not None else "today (no orders)",
        rfm_segments=rfm,
        rfm_segments_source=rfm_source,
        relations={
            name: frozenset(cols) for name, cols in tables.items() if not name.startswith("marts.")
        },
    )


def _rfm_segments(
    con: duckdb.DuckDBPyConnection, tables: dict[str, set[str]]
) -> tuple[tuple[str, ...], str]:
    """Segment names of the RFM seed (raw.rfm_segments, built by every `dbt build`)."""
    if "rfm_segment" not in tables.get(RFM_SEED, set()):
        raise RuntimeError(
            f"{RFM_SEED}.rfm_segment not found: validate a warehouse built by `dbt build`"
            " (it loads the seed seeds/rfm_segments.csv)"
        )
    values = con.execute(
        f"select distinct rfm_segment from {RFM_SEED} where rfm_segment is not null"
    ).fetchall()
    return tuple(sorted(v[0] for v in values)), f"seed {RFM_SEED}"


def close_datasource(datasource: SQLDatasource) -> None:
    """Close the DuckDB connection GX keeps open (the patch persists one per engine).

    Until closed, this process holds the file: dbt cannot write it and duckdb
    cannot open it with another configuration.
    """
    engine = datasource.get_execution_engine()
    connection = getattr(engine, "_connection", None)
    if connection is not None:
        connection.close()
        engine._connection = None
    engine.close()
    datasource.get_engine().dispose()
