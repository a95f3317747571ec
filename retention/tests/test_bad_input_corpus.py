"""Every case of the bad-input corpus either stops with a clear error or
builds with each bad row in the rejects table, and the counts reconcile.

The row-level cases share one build (retention/tests/corpus/cases.py,
`combine_cases`): each case's test then reads its own rows (its files'
rejects, its stores' orders); the shared build must fail on nothing but the
too-many-rejects test, and every reject must belong to a case."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from retention.tests.conftest import DATA_DIR, BuildWarehouse, Warehouse, shared_build
from retention.tests.corpus.cases import (
    CASES,
    TOO_MANY_REJECTS,
    case_of_file,
    combine_cases,
    groupable,
    store_prefix,
    write_corpus,
)
from retention.tests.hermetic import WRITE_JSON

CORPUS = DATA_DIR / "corpus"
MANIFEST = json.loads((CORPUS / "cases.json").read_text())
GROUPED = [name for name in MANIFEST if groupable(CORPUS / name, MANIFEST[name])]
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
    # the row-level cases share a build; the others keep their own
    assert 10 <= len(GROUPED) < len(MANIFEST) - 8, GROUPED


@pytest.fixture(scope="session")
def grouped(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The build of every groupable case at once (shared by the xdist workers)."""
    return shared_build(
        tmp_path_factory,
        "corpus_grouped",
        lambda directory: combine_cases(CORPUS, GROUPED, directory),
        command=SELECT,
        expect_success=False,
        extra_env=WRITE_JSON,  # the test reads run_results.json
    )


def test_grouped_build_fails_on_too_many_rejects_only(grouped: Warehouse) -> None:
    """Its cases' only expected failure is the rejected share; every reject
    comes from a case's own file and every order from a case's own stores."""
    results = json.loads((grouped.target_path / "run_results.json").read_text())["results"]
    # warnings (assert_no_rejected_rows) are expected: every case rejects rows
    failed = {r["unique_id"].split(".")[2] for r in results if r["status"] in ("error", "fail")}
    expected = {TOO_MANY_REJECTS[0]} if any(MANIFEST[n]["fails"] for n in GROUPED) else set()
    assert failed == expected, f"{failed}:\n{grouped.result.output[-4000:]}"
    assert not any(r["status"] == "skipped" for r in results), grouped.result.output[-4000:]
    assert "PASS assert_raw_rows_reconcile" in grouped.result.output
    files = Counter(
        case_of_file(name)
        for (name,) in grouped.query("select source_file from staging.stg_shop__rejects")
    )
    assert files == Counter(
        {
            name: sum(MANIFEST[name]["rejects"].values())
            for name in GROUPED
            if MANIFEST[name]["rejects"]
        }
    )
    (orders,) = grouped.query("select count(*) from marts.fct_orders")[0]
    assert orders == sum(MANIFEST[name]["orders"] for name in GROUPED)


def _case_query(warehouse: Warehouse, case: str, sql: str) -> list[tuple]:
    """`sql` on the rows of `case` only: staging.stg_shop__rejects and
    marts.fct_orders are views of the shared build filtered to the case."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse.path}' as shared (read_only)")
        con.execute("create schema staging")
        con.execute("create schema marts")
        con.execute(
            "create view staging.stg_shop__rejects as"
            " select * from shared.staging.stg_shop__rejects"
            f" where regexp_extract(source_file, '[^/]+$') = '{case}.csv'"
        )
        con.execute(
            "create view marts.fct_orders as select * from shared.marts.fct_orders"
            f" where starts_with(store_id, '{store_prefix(case)}')"
        )
        return con.execute(sql).fetchall()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@pytest.mark.parametrize("case", GROUPED)
def test_grouped_corpus_case(case: str, grouped: Warehouse) -> None:
    expected = MANIFEST[case]
    rejects = _case_query(
        grouped,
        case,
        "select raw_table || ':' || reject_reason, count(*) "
        "from staging.stg_shop__rejects group by 1",
    )
    assert dict(rejects) == expected["rejects"], case
    assert _case_query(grouped, case, "select count(*) from marts.fct_orders") == [
        (expected["orders"],)
    ]
    for sql, rows in expected["checks"]:
        actual = [[_text(value) for value in row] for row in _case_query(grouped, case, sql)]
        assert actual == rows, f"{case}: {sql}"


@pytest.mark.parametrize("case", [case.name for case in CASES if case.name not in GROUPED])
def test_corpus_case(case: str, build_warehouse: BuildWarehouse) -> None:
    expected = MANIFEST[case]
    # cases that check more marts select them too; a case that must stop
    # stops in the raw layer, where every raw file is read and checked
    command = SELECT[:-2] + tuple(expected["marts"]) + SELECT[-2:]
    if expected["error"]:
        command = ("run", "-s", "path:models/raw")
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
