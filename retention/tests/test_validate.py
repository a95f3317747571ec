"""Great Expectations validation (retention/validate): the DuckDB patch, every
suite passing on a clean warehouse, and failing — naming the expectation — on
a copy of the `sample_warehouse` build corrupted in one specific way; an
absent mart or an expectation that cannot run fails under --require-all.

rpt_clv_model_evaluation is empty on the sample (no purchases after
as_of_date): its suite is exercised on the CLV warehouse, which has a
holdout period (test_clv_warehouse.py, CLV_CORRUPTIONS).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pytest
from great_expectations.datasource.fluent.interfaces import Batch

from retention.build import VALIDATION_REPORT
from retention.dbt import PROJECT_ROOT
from retention.validate import gx_patch
from retention.validate.__main__ import main
from retention.validate.checkpoint import report_summary, run_checkpoint
from retention.validate.context import (
    BATCH_DEFINITION,
    DATASOURCE,
    GX_DIR,
    close_datasource,
    open_context,
)
from retention.validate.suites import CONTRACT_MARTS


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's GX file context, so that tests leave gx/uncommitted alone."""
    path = tmp_path_factory.mktemp("gx") / "gx"
    path.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", path)
    return path


@pytest.fixture(scope="module")
def complete_warehouse(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample build (every contract mart is built by dbt)."""
    # the file's name is kept: the views of the raw and staging layers name its catalog
    path = tmp_path_factory.mktemp("validate") / sample_warehouse.path.name
    shutil.copy(sample_warehouse.path, path)
    return path


@pytest.fixture
def warehouse_copy(complete_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / complete_warehouse.name
    shutil.copy(complete_warehouse, path)
    return path


def execute(path: Path, *statements: str) -> None:
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


def rebuild(mart: str, select: str) -> str:
    """SQL replacing a mart by `select` (a plain table: no key constraints to stop a corruption)."""
    return (
        f"create table marts.{mart}__new as {select}; drop table marts.{mart}; "
        f"alter table marts.{mart}__new rename to {mart}"
    )


# ---------------------------------------------------------------- the patch
def test_gx_is_the_version_the_patch_was_verified_on() -> None:
    assert version("great_expectations") == gx_patch.VERIFIED_GX_VERSION


def test_patch_makes_gx_persist_duckdb_connections() -> None:
    gx_patch.apply()
    gx_patch.apply()  # idempotent
    gx_patch.assert_active()


@contextmanager
def gx_batch(path: Path, mart: str, gx_dir: Path) -> Iterator[Batch]:
    """A GX batch of one mart; the engine is disposed afterwards (it holds the file open)."""
    datasource = open_context(path, gx_dir).data_sources.get(DATASOURCE)
    try:
        yield datasource.get_asset(mart).get_batch_definition(BATCH_DEFINITION).get_batch()
    finally:
        close_datasource(datasource)


def test_gx_sql_datasource_returns_the_real_row_count(
    complete_warehouse: Path, gx_dir: Path
) -> None:
    with duckdb.connect(str(complete_warehouse), read_only=True) as con:
        expected = con.execute("select count(*) from marts.fct_orders").fetchone()[0]
    assert expected > 50_000
    with gx_batch(complete_warehouse, "fct_orders", gx_dir) as batch:
        result = batch.validate(gxe.ExpectTableRowCountToBeBetween(min_value=0))
    assert result.success, result.exception_info
    assert result.result["observed_value"] == expected


UNPATCHED_PROBE = """
import sys
import great_expectations.expectations as gxe
from retention.validate import context, gx_patch
gx_patch.apply = lambda: None
gx_patch.assert_active = lambda: None
ctx = context.open_context(context.Path(sys.argv[1]), context.Path(sys.argv[2]))
batch = ctx.data_sources.get(context.DATASOURCE).get_asset("fct_orders")
batch = batch.get_batch_definition(context.BATCH_DEFINITION).get_batch()
result = batch.validate(gxe.ExpectTableRowCountToBeBetween(min_value=0))
print(result.success, result.result.get("observed_value"))
"""


def test_without_the_patch_gx_reads_no_rows(complete_warehouse: Path, gx_dir: Path) -> None:
    """Documents why the patch exists: when this fails, GX fixed #10738 and the patch can go.

    A fresh interpreter: GX caches engines, so the unpatched path needs its own process.
    """
    probe = subprocess.run(
        [sys.executable, "-c", UNPATCHED_PROBE, str(complete_warehouse), str(gx_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    assert probe.stdout.strip().splitlines()[-1] == "False None", probe.stdout


def test_checks_run_as_sql_in_duckdb(complete_warehouse: Path, gx_dir: Path) -> None:
    with gx_batch(complete_warehouse, "fct_orders", gx_dir) as batch:
        engine = batch.data.execution_engine
        assert type(engine).__name__ == "SqlAlchemyExecutionEngine"
        assert engine.dialect_name == "duckdb"


# ------------------------------------------------------------ the checkpoint
def test_checkpoint_passes_on_the_clean_warehouse(
    sample_warehouse, complete_warehouse: Path, gx_dir: Path
) -> None:
    """Every suite runs and passes under --require-all. make test's build of
    the sample (retention.build) has just validated this very file: its
    report (target/validation_report.json) is read instead of validating the
    file a second time (about 25 CPU s); a sample built by pytest itself
    (dbt build only) is validated here."""
    recorded = sample_warehouse.target_path / VALIDATION_REPORT
    if recorded.is_file():
        summary = json.loads(recorded.read_text())
    else:
        report = run_checkpoint(complete_warehouse, require_all=True, gx_dir=gx_dir)
        summary = report_summary(report)
    assert summary["success"], summary["failed"] + summary["skipped"]
    assert summary["require_all"]
    assert [suite["mart"] for suite in summary["suites"]] == list(CONTRACT_MARTS)
    assert summary["missing_marts"] == []
    assert summary["skipped"] == []  # every expectation of every suite ran
    assert all(suite["expectations"] >= 5 for suite in summary["suites"])


def test_an_absent_mart_fails_under_require_all(
    warehouse_copy: Path, gx_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    execute(warehouse_copy, "drop table marts.rpt_unit_economics")
    common = ["--warehouse", str(warehouse_copy), "--gx-dir", str(gx_dir), "--mart", "fct_orders"]
    common += ["--mart", "rpt_unit_economics"]
    assert main(common) == 0
    assert "WARNING: contract mart marts.rpt_unit_economics is absent" in capsys.readouterr().out
    assert main([*common, "--require-all"]) == 1
    assert "ERROR: contract mart marts.rpt_unit_economics is absent" in capsys.readouterr().out


def test_an_expectation_that_cannot_run_fails_under_require_all(
    warehouse_copy: Path, gx_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A renamed column drops expectations: a failure with --require-all, never silent."""
    execute(
        warehouse_copy,
        "alter table marts.fct_orders rename column discount_amount to discount",
    )
    lenient = run_checkpoint(warehouse_copy, only=["fct_orders"], gx_dir=gx_dir)
    assert lenient.success
    assert any("discount_amount not null" in note for note in lenient.skipped), lenient.skipped
    strict = run_checkpoint(warehouse_copy, only=["fct_orders"], require_all=True, gx_dir=gx_dir)
    assert not strict.success
    common = ["--warehouse", str(warehouse_copy), "--gx-dir", str(gx_dir), "--mart", "fct_orders"]
    assert main([*common, "--require-all"]) == 1
    out = capsys.readouterr().out
    assert "ERROR: could not run fct_orders: discount_amount not null" in out
    assert "Validation FAILED" in out


def test_a_reconciliation_whose_other_mart_is_absent_cannot_run(
    warehouse_copy: Path, gx_dir: Path
) -> None:
    execute(warehouse_copy, "drop table marts.fct_cohort_retention")
    report = run_checkpoint(
        warehouse_copy, only=["rpt_cohort_retention_by_industry"], require_all=True, gx_dir=gx_dir
    )
    assert not report.success
    assert any("mart fct_cohort_retention" in note for note in report.skipped), report.skipped


Corruption = tuple[str, str, str]  # mart, SQL, description of the expectation that must fail

CORRUPTIONS: dict[str, Corruption] = {
    "fct_orders duplicate key": (
        "fct_orders",
        rebuild(
            "fct_orders",
            "select * from marts.fct_orders union all "
            "(select * from marts.fct_orders order by store_id, order_id limit 1)",
        ),
        "fct_orders: (store_id, order_id) unique",
    ),
    "fct_orders negative revenue": (
        "fct_orders",
        "update marts.fct_orders set net_revenue = -5 where order_id = "
        "(select min(order_id) from marts.fct_orders where is_purchase)",
        "fct_orders: 0 <= net_revenue",
    ),
    "fct_orders date after as_of_date": (
        "fct_orders",
        "update marts.fct_orders set order_date = date '2031-01-01' where order_id = "
        "(select min(order_id) from marts.fct_orders)",
        "fct_orders: order_date not after as_of_date",
    ),
    "dim_customers duplicate key": (
        "dim_customers",
        rebuild(
            "dim_customers",
            "select * from marts.dim_customers union all "
            "(select * from marts.dim_customers order by store_id, customer_id limit 1)",
        ),
        "dim_customers: (store_id, customer_id) unique",
    ),
    "dim_customers revenue differs from fct_orders": (
        "dim_customers",
        "update marts.dim_customers set net_revenue = net_revenue + 10 where customer_id = "
        "(select min(customer_id) from marts.dim_customers)",
        "dim_customers: customers, purchases and net revenue per store = fct_orders",
    ),
    "dim_customers probability_alive above 1": (
        "dim_customers",
        "update marts.dim_customers set probability_alive = 1.5 where customer_id = "
        "(select min(customer_id) from marts.dim_customers)",
        "dim_customers: 0 <= probability_alive <= 1",
    ),
    "fct_cohort_retention rate 1.2": (
        "fct_cohort_retention",
        "update marts.fct_cohort_retention set retention_rate = 1.2 "
        "where months_since_first_order = 3",
        "fct_cohort_retention: 0 <= retention_rate <= 1",
    ),
    "fct_cohort_retention missing offset": (
        "fct_cohort_retention",
        "delete from marts.fct_cohort_retention where months_since_first_order = 2 "
        "and cohort_month = (select min(cohort_month) from marts.fct_cohort_retention)",
        "fct_cohort_retention: every offset from 0 to the as-of month is present",
    ),
    "fct_cohort_retention cohort sizes differ from dim_customers": (
        "fct_cohort_retention",
        "update marts.fct_cohort_retention set cohort_size = cohort_size + 1 "
        "where cohort_month = (select max(cohort_month) from marts.fct_cohort_retention)",
        "fct_cohort_retention: cohort sizes and revenue per store = dim_customers",
    ),
    "fct_retention_periods broken identity": (
        "fct_retention_periods",
        "update marts.fct_retention_periods set customers_end = customers_end + 1 "
        "where period_start = (select max(period_start) from marts.fct_retention_periods)",
        "fct_retention_periods: E = S - churned + reactivated + new",
    ),
    "fct_retention_periods unknown grain": (
        "fct_retention_periods",
        "update marts.fct_retention_periods set period_grain = 'week' where period_start = "
        "(select max(period_start) from marts.fct_retention_periods)",
        "fct_retention_periods: period_grain in ['month', 'quarter', 'year']",
    ),
    "rpt_retention_by_industry negative crr": (
        "rpt_retention_by_industry",
        "update marts.rpt_retention_by_industry set crr = -0.1 where customers_start > 0",
        "rpt_retention_by_industry: 0 <= crr",
    ),
    "rpt_retention_by_industry counts differ from stores": (
        "rpt_retention_by_industry",
        "update marts.rpt_retention_by_industry set new_customers = new_customers + 1, "
        "customers_end = customers_end + 1 where period_start = "
        "(select max(period_start) from marts.rpt_retention_by_industry)",
        "rpt_retention_by_industry: counts = fct_retention_periods summed",
    ),
    "rpt_aov_by_device_channel purchase lost": (
        "rpt_aov_by_device_channel",
        "update marts.rpt_aov_by_device_channel set purchases = purchases - 1, "
        "net_revenue = net_revenue - average_order_value "
        "where (store_id, order_month, breakdown, breakdown_value) in (select store_id, "
        "order_month, breakdown, breakdown_value from marts.rpt_aov_by_device_channel "
        "where breakdown = 'channel' and purchases > 1 order by all limit 1)",
        "rpt_aov_by_device_channel: purchases and net revenue per store, month and breakdown",
    ),
    "rpt_customer_segments unknown segment": (
        "rpt_customer_segments",
        "update marts.rpt_customer_segments set rfm_segment = 'Whales' "
        "where rfm_segment = 'Champions'",
        "rpt_customer_segments: rfm_segment in",
    ),
    "rpt_unit_economics negative cac": (
        "rpt_unit_economics",
        "update marts.rpt_unit_economics set cac = -1 where month = "
        "(select min(month) from marts.rpt_unit_economics)",
        "rpt_unit_economics: 0 <= cac",
    ),
    "clv_model_parameters NaN parameter": (
        "clv_model_parameters",
        "update marts.clv_model_parameters set r = 'nan'::double where industry_segment = "
        "(select min(industry_segment) from marts.clv_model_parameters)",
        "clv_model_parameters: r positive and finite",
    ),
    "clv_model_parameters negative parameter": (
        "clv_model_parameters",
        "update marts.clv_model_parameters set gamma = -2",
        "clv_model_parameters: gamma positive and finite",
    ),
    "rpt_cohort_retention_by_industry active customers differ from stores": (
        "rpt_cohort_retention_by_industry",
        "update marts.rpt_cohort_retention_by_industry set active_customers = active_customers + 1,"
        " retention_rate = (active_customers + 1) / cohort_size where months_since_first_order = 1"
        " and cohort_month = "
        "(select min(cohort_month) from marts.rpt_cohort_retention_by_industry)",
        "rpt_cohort_retention_by_industry: stores, counts and revenue = fct_cohort_retention",
    ),
    "rpt_cohort_retention_by_industry rate not recomputed from sums": (
        "rpt_cohort_retention_by_industry",
        "update marts.rpt_cohort_retention_by_industry set retention_rate = retention_rate / 2"
        " where months_since_first_order = 0",
        "rpt_cohort_retention_by_industry: retention_rate = active_customers / cohort_size",
    ),
    # forward-looking marts (retention/validate/forward_suites.py)
    "fct_cohort_survival survivors increase": (
        "fct_cohort_survival",
        "update marts.fct_cohort_survival set surviving_customers = cohort_size, "
        "survival_rate = 1 where survival_period = 2 and not is_forecast",
        "fct_cohort_survival: survival never increases with survival_period",
    ),
    "fct_cohort_survival cohort sizes differ from dim_customers": (
        "fct_cohort_survival",
        "update marts.fct_cohort_survival set cohort_size = cohort_size + 1 "
        "where cohort_month = (select min(cohort_month) from marts.fct_cohort_survival)",
        "fct_cohort_survival: cohort sizes per store and cohort month = dim_customers",
    ),
    "rpt_retention_scenarios gain at zero points": (
        "rpt_retention_scenarios",
        "update marts.rpt_retention_scenarios set net_revenue_gain_vs_unchanged = 5 "
        "where crr_uplift_points = 0",
        "rpt_retention_scenarios: the 0-point scenario is the unchanged projection",
    ),
    "rpt_retention_scenarios start differs from fct_retention_periods": (
        "rpt_retention_scenarios",
        "update marts.rpt_retention_scenarios set starting_active_customers = "
        "starting_active_customers + 1",
        "rpt_retention_scenarios: starting_active_customers = customers active at as_of_date",
    ),
    "rpt_loyalty_retention split differs from fct_retention_periods": (
        "rpt_loyalty_retention",
        "update marts.rpt_loyalty_retention set customers_start = customers_start + 1, "
        "churned_customers = churned_customers + 1 where is_loyalty_member",
        "rpt_loyalty_retention: members + others = fct_retention_periods",
    ),
    "dim_customers 30-day probability above the 90-day one": (
        "dim_customers",
        "update marts.dim_customers set probability_purchase_30d = probability_purchase_90d + 0.1 "
        "where probability_purchase_90d < 0.5",
        "dim_customers: probability_purchase_30d <= probability_purchase_90d <= probability_alive",
    ),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_checkpoint_fails_on_corruption(name: str, warehouse_copy: Path, gx_dir: Path) -> None:
    mart, sql, expectation = CORRUPTIONS[name]
    execute(warehouse_copy, *sql.split("; "))
    report = run_checkpoint(warehouse_copy, only=[mart], gx_dir=gx_dir)
    assert not report.success
    assert any(failure.startswith(expectation) for failure in report.failed), report.failed


def test_every_suite_has_a_corruption_test() -> None:
    from retention.tests.test_clv_warehouse import CLV_CORRUPTIONS

    covered = {mart for mart, _, _ in (*CORRUPTIONS.values(), *CLV_CORRUPTIONS.values())}
    assert covered == set(CONTRACT_MARTS)


def test_cli_exits_non_zero_and_names_the_failed_expectation(
    warehouse_copy: Path, gx_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mart, sql, expectation = CORRUPTIONS["fct_orders negative revenue"]
    execute(warehouse_copy, sql)
    report = warehouse_copy.parent / "report.json"
    arguments = ["--warehouse", str(warehouse_copy), "--mart", mart, "--gx-dir", str(gx_dir)]
    assert main([*arguments, "--json-report", str(report)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED: {expectation}" in out
    assert "Validation FAILED" in out
    # the same outcome in the JSON report
    summary = json.loads(report.read_text())
    assert summary["success"] is False
    assert [suite["mart"] for suite in summary["suites"]] == [mart]
    assert any(failure.startswith(expectation) for failure in summary["failed"]), summary
    assert summary["suites"][0]["failed"] == summary["failed"]


def test_data_docs_are_built(complete_warehouse: Path, gx_dir: Path) -> None:
    report = run_checkpoint(
        complete_warehouse, only=["clv_model_parameters"], build_docs=True, gx_dir=gx_dir
    )
    assert report.data_docs is not None and report.data_docs.is_file()
    assert "clv_model_parameters" in report.data_docs.read_text()


def test_validation_does_not_lock_out_a_writer(complete_warehouse: Path, gx_dir: Path) -> None:
    """The datasource opens DuckDB read-only; afterwards dbt can write again."""
    run_checkpoint(complete_warehouse, only=["clv_model_parameters"], gx_dir=gx_dir)
    with duckdb.connect(str(complete_warehouse)) as con:
        assert con.execute("select 1").fetchone() == (1,)


CONCURRENT_RUN = """
import sys
from pathlib import Path
from retention.validate.checkpoint import report_summary, run_checkpoint
marts = ["fct_cohort_retention", "rpt_retention_by_industry"]
report = run_checkpoint(Path(sys.argv[1]), only=marts, gx_dir=Path(sys.argv[2]))
print("success" if report.success else report.failed)
"""


def test_two_validations_at_once_on_one_gx_folder(complete_warehouse: Path, tmp_path: Path) -> None:
    """Each run replaces the folder's stored suites: a second run at the same
    time (make test's sample build beside a test's `make build`) waits for
    the first instead of reading suites the first has just removed."""
    gx_dir = tmp_path / "gx"
    gx_dir.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", gx_dir)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_RUN, str(complete_warehouse), str(gx_dir)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0 and output.strip().endswith("success"), output[-3000:]
