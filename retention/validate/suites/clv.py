"""Expectation suites of the clv marts (models/marts/clv/)."""

from __future__ import annotations

from retention.validate.suites.builder import (
    SuiteBuilder,
    contract_suite,
    marts,
)

# the holdout period after as_of_date and each customer's purchase days in it
HOLDOUT_WINDOW = "intermediate.int_clv_holdout_window"
HOLDOUT_PURCHASES = "intermediate.int_customers_holdout_purchases"


@contract_suite
def suite_rpt_unit_economics(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "month", "new_customers")
    b.unique("store_id", "month")
    b.first_of("month")
    b.not_after_as_of("month")
    b.between("new_customers", low=0)
    for money in ("marketing_spend", "cac", "average_predicted_clv"):
        b.between(money, low=0)
    b.between("clv_to_cac", low=0)
    b.no_rows(
        "new_customers = dim_customers acquired in the store and month",
        f"""
        select rpt.store_id, rpt.month, rpt.new_customers, count(dim.customer_id) as acquired
        from {{batch}} as rpt
        left join {marts("dim_customers")} as dim
            on dim.store_id = rpt.store_id and dim.cohort_month = rpt.month
        group by rpt.store_id, rpt.month, rpt.new_customers
        having rpt.new_customers <> count(dim.customer_id)
        """,
        ["store_id", "month", "new_customers"],
        other={"dim_customers": ["store_id", "customer_id", "cohort_month"]},
    )


@contract_suite
def suite_clv_model_parameters(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("industry_segment", "converged")
    b.unique("industry_segment")
    b.between("customers_fitted", low=1)
    b.positive_finite("r", "alpha", "a", "b", "p", "q", "gamma")
    b.where_not("log_likelihood finite", "isfinite(log_likelihood)", ["log_likelihood"])


@contract_suite
def suite_rpt_clv_model_evaluation(b: SuiteBuilder) -> None:
    """Empty exactly when the raw data ends at as_of_date (no holdout period).

    Reconciled with tables only (the staging views name the warehouse file's
    catalog and break in a copy of the file).
    """
    b.not_null("industry_segment", "holdout_days", "customers", "actual_repeat_purchases")
    b.not_null("predicted_repeat_purchases", "naive_predicted_repeat_purchases")
    b.unique("industry_segment")
    b.between("holdout_days", low=1)
    b.between("customers", low=1)
    b.between("actual_repeat_purchases", low=0)
    b.between("predicted_repeat_purchases", low=0)
    b.between("naive_predicted_repeat_purchases", low=0)
    b.between("mean_absolute_error", low=0)
    b.between("naive_mean_absolute_error", low=0)
    b.no_rows(
        "one row per converged segment of clv_model_parameters when purchases follow "
        "as_of_date, none otherwise",
        f"""
        with expected as (
            select industry_segment from {marts("clv_model_parameters")}
            where converged and (select max(holdout_days) from {HOLDOUT_WINDOW}) > 0
        )
        select expected.industry_segment as expected_segment,
               rpt.industry_segment as reported_segment
        from {{batch}} as rpt
        full join expected on rpt.industry_segment = expected.industry_segment
        where rpt.industry_segment is null or expected.industry_segment is null
        """,
        ["industry_segment"],
        other={
            "clv_model_parameters": ["industry_segment", "converged"],
            HOLDOUT_WINDOW: ["holdout_days"],
        },
    )
    b.no_rows(
        "holdout_days = days from as_of_date to the last purchase after it",
        f"select * from {{batch}} where holdout_days is distinct from "
        f"(select date_diff('day', max(as_of_date), max(holdout_end_date)) from {HOLDOUT_WINDOW})",
        ["holdout_days"],
        other={HOLDOUT_WINDOW: ["as_of_date", "holdout_end_date"]},
    )
    b.no_rows(
        "customers, actual purchase days after as_of_date and naive predictions per segment "
        "= dim_customers and their holdout purchases",
        f"""
        with holdout as (select max(holdout_days) as holdout_days from {{batch}}),
        expected as (
            select dim.industry_segment, count(*) as customers,
                   coalesce(sum(later.holdout_purchases), 0) as actual_repeat_purchases,
                   sum(case when dim.tenure_days > 0
                       then dim.frequency / dim.tenure_days * holdout.holdout_days else 0 end)
                       as naive_predicted_repeat_purchases
            from {marts("dim_customers")} as dim
            cross join holdout
            left join {HOLDOUT_PURCHASES} as later
                on dim.store_id = later.store_id and dim.customer_id = later.customer_id
            group by dim.industry_segment
        )
        select rpt.industry_segment, rpt.customers, expected.customers as expected_customers,
               rpt.actual_repeat_purchases, expected.actual_repeat_purchases as expected_actual,
               rpt.naive_predicted_repeat_purchases,
               expected.naive_predicted_repeat_purchases as expected_naive
        from {{batch}} as rpt
        left join expected on rpt.industry_segment = expected.industry_segment
        where rpt.customers is distinct from expected.customers
           or rpt.actual_repeat_purchases is distinct from expected.actual_repeat_purchases
           or not abs(rpt.naive_predicted_repeat_purchases
                      - expected.naive_predicted_repeat_purchases) <= 1e-6
        """,
        ["industry_segment", "customers", "actual_repeat_purchases"],
        other={
            "dim_customers": ["store_id", "customer_id", "industry_segment", "frequency"],
            HOLDOUT_PURCHASES: ["store_id", "customer_id", "holdout_purchases"],
        },
    )
