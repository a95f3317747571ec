"""Data access of the BI app: one DuckDB file opened with the read-only
sandbox settings of README ("BI tools"), query results cached per file
version."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_ROOT / "warehouse" / "retention_bi.duckdb"
# the settings README recommends for every BI connection (tested in
# retention/tests/test_bi_sandbox.py)
BI_CONFIG: dict[str, Any] = {
    "access_mode": "read_only",
    "enable_external_access": False,
    "lock_configuration": True,
}


def dashboard_file() -> Path:
    """BI_DASHBOARD_DB (e.g. a store's file), else BI_WAREHOUSE_PATH."""
    for name in ("BI_DASHBOARD_DB", "BI_WAREHOUSE_PATH"):
        if os.environ.get(name):
            return Path(os.environ[name])
    return DEFAULT_FILE


@st.cache_data(show_spinner=False, max_entries=256)
def _query(path: str, version: int, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    with duckdb.connect(path, config=BI_CONFIG) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    path = dashboard_file()
    if not path.exists():
        st.error(f"No published file at {path}: run `make build` (or set BI_DASHBOARD_DB).")
        st.stop()
    return _query(str(path), path.stat().st_mtime_ns, sql, params)


def svg(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Render with SVG (marks are DOM nodes: `make test-bi` counts them)."""
    return chart.properties(usermeta={"embedOptions": {"renderer": "svg"}})


def store_picker(table: str) -> str | None:
    stores = query(f"select distinct store_id from marts.{table} order by 1")["store_id"].tolist()
    if not stores:
        st.info(f"marts.{table} has no rows in this file.")
        return None
    return st.selectbox("Store", stores, key=f"store_{table}")


def header() -> None:
    run = query("select * from marts.bi_run_parameters")
    if not run.empty:
        row = run.iloc[0]
        published = f"{row['published_at']:%Y-%m-%d %H:%M}"
        st.caption(
            f"File: {dashboard_file().name} · as of {row['as_of_date']:%Y-%m-%d} · "
            f"money in {row['reporting_currency']} · published {published} UTC"
        )
