"""`make test-bi`, app half: every page of the BI app runs on the published
file without an exception and draws its charts from real rows (Streamlit's
AppTest); on a store's own file the app shows that store only.

Needs the published file (BI_WAREHOUSE_PATH, `make build`) and `make setup-bi`."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from bi.browser_check import PAGES
from bi.data import dashboard_file
from retention.publish import publish_stores

APP = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def published() -> Path:
    path = dashboard_file()
    if not path.exists():
        pytest.fail(f"{path} does not exist: run `make build` first")
    return path


def _run(page: str, file: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("BI_DASHBOARD_DB", str(file))
    app = AppTest.from_file(str(APP / "pages" / f"{page}.py"), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _chart_rows(app: AppTest) -> list[pa.Table]:
    tables = []
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"
        (dataset,) = chart.proto.datasets
        tables.append(pa.ipc.open_stream(dataset.data.data).read_all())
    return tables


@pytest.mark.parametrize("page", list(PAGES))
def test_page_draws_its_charts_from_rows(
    page: str, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _run(page, published, monkeypatch)
    tables = _chart_rows(app)
    assert len(tables) == PAGES[page]
    assert all(table.num_rows > 0 for table in tables), [t.num_rows for t in tables]


def test_segment_chart_counts_every_customer_of_the_store(
    published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _run("segments", published, monkeypatch)
    store = app.selectbox[0].value
    charted = sum(_chart_rows(app)[0].column("customers").to_pylist())
    with duckdb.connect(str(published), read_only=True) as con:
        customers = con.execute(
            "select count(*) from marts.dim_customers where store_id = ?", [store]
        ).fetchone()[0]
    assert charted == customers > 0


def test_a_store_file_shows_that_store_only(
    published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = publish_stores(published, tmp_path / "stores")[0]
    store = first.path.stem
    for page in PAGES:
        app = _run(page, first.path, monkeypatch)
        for box in app.selectbox:
            if box.label == "Store":
                assert box.options == [store]
    clv = _run("clv", first.path, monkeypatch)
    assert _chart_rows(clv)[0].column("store_id").unique().to_pylist() == [store]
