"""Every case of the bad-input corpus either stops with a clear error or
builds with each bad row in the rejects table, and the counts reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retention.tests.conftest import DATA_DIR, BuildWarehouse
from retention.tests.corpus.cases import CASES, write_corpus

CORPUS = DATA_DIR / "corpus"
MANIFEST = json.loads((CORPUS / "cases.json").read_text())
# the staging layer and fct_orders with their tests, reconciliation and the
# reject tests of tests/staging/ included
SELECT = (
    "build",
    "-s",
    "path:models/raw",
    "path:models/staging",
    "+fct_orders",
    "--indirect-selection",
    "cautious",
)


def test_committed_corpus_is_up_to_date(tmp_path: Path) -> None:
    """The committed folders are exactly what cases.py writes."""
    write_corpus(tmp_path / "corpus")
    fresh = {
        p.relative_to(tmp_path / "corpus"): p.read_bytes()
        for p in (tmp_path / "corpus").rglob("*")
        if p.is_file()
    }
    committed = {p.relative_to(CORPUS): p.read_bytes() for p in CORPUS.rglob("*") if p.is_file()}
    assert fresh.keys() == committed.keys()
    stale = [
        str(name) for name in fresh if fresh[name] != committed[name] and name.suffix != ".parquet"
    ]
    assert not stale, f"regenerate the corpus: {stale}"


def test_corpus_has_at_least_twenty_cases() -> None:
    assert len(MANIFEST) >= 20


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@pytest.mark.parametrize("case", [case.name for case in CASES])
def test_corpus_case(case: str, build_warehouse: BuildWarehouse) -> None:
    expected = MANIFEST[case]
    # cases that check more marts select them too
    command = SELECT[:-2] + tuple(expected["marts"]) + SELECT[-2:]
    vars = expected["vars"] or None
    # one file name for every case (tmp_path is the case's own): the builds
    # share dbt's partial parsing (retention/tests/dbt_runs.py)
    warehouse = build_warehouse(CORPUS / case, command=command, vars=vars, expect_success=False)
    output = warehouse.result.output
    if expected["error"]:
        assert not warehouse.result.ok, f"{case}: the build should have stopped"
        for fragment in expected["error"]:
            assert fragment in output, (
                f"{case}: error message lacks {fragment!r}:\n{output[-3000:]}"
            )
        return

    if expected["fails"]:
        # every model is built, and a data test fails the build on purpose
        assert not warehouse.result.ok, f"{case}: the build should have failed a data test"
        for fragment in expected["fails"]:
            assert fragment in output, f"{case}: output lacks {fragment!r}:\n{output[-3000:]}"
        assert "ERROR creating" not in output and "Runtime Error" not in output, output[-4000:]
    else:
        assert warehouse.result.ok, f"{case}: build failed:\n{output[-4000:]}"
    rejects = warehouse.query(
        "select raw_table || ':' || reject_reason, count(*) "
        "from staging.stg_shop__rejects group by 1"
    )
    assert dict(rejects) == expected["rejects"], case
    assert warehouse.query("select count(*) from marts.fct_orders") == [(expected["orders"],)]
    for sql, rows in expected["checks"]:
        actual = [[_text(value) for value in row] for row in warehouse.query(sql)]
        assert actual == rows, f"{case}: {sql}"
    # raw = accepted + rejected (also a dbt test, which ran in the build)
    assert "PASS assert_raw_rows_reconcile" in output
