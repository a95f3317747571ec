"""Great Expectations validation (retention/validate): the DuckDB patch, every
suite passing on a clean warehouse, and failing — naming the expectation — on
a copy corrupted in one specific way.

The copies start from the `sample_warehouse` build. Marts not built by this
branch's dbt project yet are added to the copy as small tables with the
contract columns, derived from the real fct_orders and dim_customers so that
they reconcile (see `add_contract_marts`); a mart that dbt built is kept.
"""

from __future__ import annotations

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

from retention.dbt import PROJECT_ROOT
from retention.validate import gx_patch
from retention.validate.__main__ import main
from retention.validate.checkpoint import run_checkpoint
from retention.validate.context import (
    BATCH_DEFINITION,
    DATASOURCE,
    GX_DIR,
    close_datasource,
    open_context,
)
from retention.validate.suites import CONTRACT_MARTS

# Marts derived from the real ones, with the contract's columns. Each block
# runs only when dbt did not build the mart. The retention periods here
# assume nobody churns (E = S + N), which satisfies every identity.
SYNTHETIC_MARTS: dict[str, str] = {
    "fct_cohort_retention": """
        create table marts.fct_cohort_retention as
        with params as (select as_of_date from intermediate.int_run_parameters),
        sizes as (
            select store_id, industry_segment, cohort_month, count(*) as cohort_size
            from marts.dim_customers group by all
        ),
        offsets as (
            select sizes.*, offset_.k as months_since_first_order
            from sizes, params,
                range(0, 1200) as offset_(k)
            where offset_.k <= date_diff('month', cohort_month, date_trunc('month', as_of_date))
        ),
        bought as (
            select store_id, cohort_month, months_since_first_order,
                   count(distinct customer_id) as active_customers,
                   sum(net_revenue) as net_revenue
            from marts.fct_orders where is_purchase and customer_id is not null group by all
        ),
        final as (
            select offsets.store_id, offsets.industry_segment, offsets.cohort_month,
                   offsets.months_since_first_order, offsets.cohort_size,
                   coalesce(bought.active_customers, 0) as active_customers,
                   coalesce(bought.active_customers, 0) / offsets.cohort_size as retention_rate,
                   cast(coalesce(bought.net_revenue, 0) as decimal(18, 2)) as net_revenue
            from offsets left join bought using (store_id, cohort_month, months_since_first_order)
        )
        select *, sum(net_revenue) over (
                partition by store_id, cohort_month order by months_since_first_order
            ) / cohort_size as cumulative_net_revenue_per_customer
        from final
    """,
    "fct_retention_periods": """
        create table marts.fct_retention_periods as
        with params as (select as_of_date from intermediate.int_run_parameters),
        stores as (
            select store_id, any_value(industry_segment) as industry_segment,
                   min(cohort_month) as first_month
            from marts.dim_customers group by store_id
        ),
        months as (
            select stores.*, cast(m.generate_series as date) as period_start
            from stores, params,
                generate_series(first_month, date_trunc('month', as_of_date), interval 1 month) as m
        ),
        new_ as (
            select store_id, cohort_month as period_start, count(*) as new_customers
            from marts.dim_customers group by all
        ),
        counted as (
            select months.*, coalesce(new_.new_customers, 0) as new_customers,
                   coalesce(sum(new_.new_customers) over (
                       partition by months.store_id order by months.period_start
                       rows between unbounded preceding and 1 preceding
                   ), 0) as customers_start
            from months left join new_ using (store_id, period_start)
        )
        select store_id, industry_segment, 'month' as period_grain, period_start,
               cast(period_start + interval 1 month as date) - 1 as period_end,
               customers_start, customers_start + new_customers as customers_end,
               new_customers, customers_start as retained_customers,
               0 as churned_customers, 0 as reactivated_customers,
               case when customers_start > 0 then 1.0 end as crr,
               case when customers_start > 0 then 0.0 end as churn_rate,
               new_customers as purchasing_customers, 0 as returning_customers,
               case when new_customers > 0 then 0.0 end as returning_customer_rate
        from counted
    """,
    "rpt_retention_by_industry": """
        create table marts.rpt_retention_by_industry as
        with summed as (
            select industry_segment, period_grain, period_start, period_end,
                   sum(customers_start) as customers_start, sum(customers_end) as customers_end,
                   sum(new_customers) as new_customers,
                   sum(retained_customers) as retained_customers,
                   sum(churned_customers) as churned_customers,
                   sum(reactivated_customers) as reactivated_customers,
                   sum(purchasing_customers) as purchasing_customers,
                   sum(returning_customers) as returning_customers
            from marts.fct_retention_periods group by all
        )
        select *,
               case when customers_start > 0
                   then (customers_end - new_customers) / customers_start end as crr,
               case when customers_start > 0 then churned_customers / customers_start end
                   as churn_rate,
               returning_customers / nullif(purchasing_customers, 0) as returning_customer_rate,
               0.6 as benchmark_retention_rate,
               (customers_end - new_customers) / nullif(customers_start, 0) - 0.6
                   as crr_minus_benchmark
        from summed
    """,
    "rpt_customer_segments": """
        create table marts.rpt_customer_segments as
        with segmented as (
            select store_id, net_revenue,
                   case when orders_count >= 3 then 'Champions' else 'New Customers' end
                       as rfm_segment
            from marts.dim_customers
        ),
        grouped as (
            select store_id, rfm_segment, count(*) as customers, sum(net_revenue) as net_revenue
            from segmented group by all
        )
        select store_id, rfm_segment, customers,
               customers / sum(customers) over (partition by store_id) as share_of_customers,
               net_revenue,
               net_revenue / sum(net_revenue) over (partition by store_id) as share_of_revenue,
               net_revenue / customers as average_historical_clv,
               net_revenue / customers as average_predicted_clv
        from grouped
    """,
    "rpt_unit_economics": """
        create table marts.rpt_unit_economics as
        select store_id, cohort_month as month, count(*) as new_customers,
               100.0 as marketing_spend, 100.0 / count(*) as cac,
               avg(net_revenue) as average_predicted_clv,
               avg(net_revenue) / (100.0 / count(*)) as clv_to_cac
        from marts.dim_customers group by all
    """,
    "clv_model_parameters": """
        create table marts.clv_model_parameters as
        select industry_segment, count(*) as customers_fitted,
               0.25::double as r, 40.0::double as alpha, 0.8::double as a, 2.4::double as b,
               6.0::double as p, 4.0::double as q, 15.0::double as gamma,
               -1234.5::double as log_likelihood, true as converged
        from marts.dim_customers group by all
    """,
    "rpt_clv_model_evaluation": """
        create table marts.rpt_clv_model_evaluation as
        select industry_segment, 90 as holdout_days, count(*) as customers,
               10 as actual_repeat_purchases, 11.5 as predicted_repeat_purchases,
               0.3 as mean_absolute_error, 0.4 as baseline_mean_absolute_error
        from marts.dim_customers group by all
    """,
}
HOLDOUT_ROWS = """
    insert into marts.rpt_clv_model_evaluation by name
    select industry_segment, 90 as holdout_days, count(*) as customers,
           10 as actual_repeat_purchases, 11.5 as predicted_repeat_purchases,
           14.0 as naive_predicted_repeat_purchases,
           0.3 as mean_absolute_error, 0.4 as naive_mean_absolute_error
    from marts.dim_customers group by all
"""
# dim_customers columns of the CLV and segments issues, when dbt lacks them.
SYNTHETIC_CUSTOMER_COLUMNS: dict[str, str] = {
    "probability_alive": "0.5",
    "predicted_purchases": "1.5",
    "predicted_clv": "net_revenue",
    "historical_clv": "net_revenue",
    "is_first_time_buyer": "orders_count = 1",
    "is_repeat_buyer": "orders_count >= 2",
}


def add_contract_marts(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        for mart, sql in SYNTHETIC_MARTS.items():
            if mart not in present:
                con.execute(sql)
        # the bundled sample has no orders after as_of_date, so the real
        # evaluation mart is empty: give its checks rows to catch corruptions
        if con.execute("select count(*) from marts.rpt_clv_model_evaluation").fetchone()[0] == 0:
            con.execute(HOLDOUT_ROWS)
        columns = {
            row[0]
            for row in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'dim_customers'"
            ).fetchall()
        }
        for column, expression in SYNTHETIC_CUSTOMER_COLUMNS.items():
            if column not in columns:
                con.execute(f"alter table marts.dim_customers add column {column} double")
                con.execute(f"update marts.dim_customers set {column} = {expression}")


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's GX file context, so that tests leave gx/uncommitted alone."""
    path = tmp_path_factory.mktemp("gx") / "gx"
    path.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", path)
    return path


@pytest.fixture(scope="module")
def complete_warehouse(sample_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample warehouse with every contract mart (synthetic where dbt lacks it)."""
    path = tmp_path_factory.mktemp("validate") / "complete.duckdb"
    shutil.copy(sample_warehouse.path, path)
    add_contract_marts(path)
    return path


@pytest.fixture
def warehouse_copy(complete_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
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
def test_checkpoint_passes_on_the_clean_warehouse(complete_warehouse: Path, gx_dir: Path) -> None:
    report = run_checkpoint(complete_warehouse, require_all=True, gx_dir=gx_dir)
    failed = "\n".join(report.failed)
    assert report.success, failed
    assert [s.mart for s in report.suites] == list(CONTRACT_MARTS)
    assert report.missing_marts == []
    assert all(s.expectations >= 5 for s in report.suites)


def test_checkpoint_on_the_dbt_build_warns_about_absent_marts(
    sample_warehouse, gx_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--warehouse", str(sample_warehouse.path), "--gx-dir", str(gx_dir)]) == 0
    out = capsys.readouterr().out
    built = {
        row[0]
        for row in sample_warehouse.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    for mart in set(CONTRACT_MARTS) - built:
        assert f"WARNING: contract mart marts.{mart} is absent" in out
    if set(CONTRACT_MARTS) - built:
        assert (
            main(
                [
                    "--warehouse",
                    str(sample_warehouse.path),
                    "--require-all",
                    "--gx-dir",
                    str(gx_dir),
                ]
            )
            == 1
        )
        assert "ERROR: contract mart" in capsys.readouterr().out


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
    "rpt_clv_model_evaluation negative error": (
        "rpt_clv_model_evaluation",
        "update marts.rpt_clv_model_evaluation set mean_absolute_error = -1",
        "rpt_clv_model_evaluation: 0 <= mean_absolute_error",
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
    assert {mart for mart, _, _ in CORRUPTIONS.values()} == set(CONTRACT_MARTS)


def test_cli_exits_non_zero_and_names_the_failed_expectation(
    warehouse_copy: Path, gx_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mart, sql, expectation = CORRUPTIONS["fct_orders negative revenue"]
    execute(warehouse_copy, sql)
    assert main(["--warehouse", str(warehouse_copy), "--mart", mart, "--gx-dir", str(gx_dir)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED: {expectation}" in out
    assert "Validation FAILED" in out


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
