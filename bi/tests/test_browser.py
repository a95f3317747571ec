"""`make test-bi`, browser half: every page opened in headless Chromium draws
its charts (SVG marks) with no error; a broken file is caught (negative
control). Needs the Debian package `chromium`."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from bi import browser_check
from bi.data import dashboard_file

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="apt-get install chromium")


def test_every_page_renders_in_chromium() -> None:
    path = dashboard_file()
    assert path.exists(), f"{path}: run `make build` first"
    results = browser_check.run(path.resolve())
    assert [r.page for r in results] == list(browser_check.PAGES)
    for result in results:
        assert not result.problems, (result.page, result.problems)
        assert len(result.marks) == browser_check.PAGES[result.page]
        assert all(marks > 0 for marks in result.marks), (result.page, result.marks)


def test_a_broken_page_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    shutil.copy(dashboard_file(), broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("drop table marts.rpt_customer_segments")
    results = {r.page: r for r in browser_check.run(broken)}
    assert any("Streamlit exception" in p for p in results["segments"].problems)
    assert not results["cohorts"].problems
