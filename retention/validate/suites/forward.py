"""Expectation suites of the forward-looking marts (models/marts/retention/): cohort
survival and its sBG forecast, retention-uplift scenarios, loyalty members versus others;
and the next-purchase outlook columns of dim_customers (called from core's suite).
"""

from __future__ import annotations

from retention.validate.suites.builder import (
    MONEY_TOLERANCE,
    PERIOD_COUNTS,
    RATE_TOLERANCE,
    SuiteBuilder,
    contract_suite,
)


def dim_customers_outlook(b: SuiteBuilder) -> None:
    """Next-purchase outlook columns of dim_customers."""
    b.between("probability_purchase_30d", low=0, high=1)
    b.between("probability_purchase_90d", low=0, high=1)
    b.between("median_days_to_next_purchase", low=0)
    b.where_not(
        "probability_purchase_30d <= probability_purchase_90d <= probability_alive",
        "probability_purchase_30d is null or (probability_purchase_30d"
        f" <= probability_purchase_90d + {RATE_TOLERANCE}"
        f" and probability_purchase_90d <= probability_alive + {RATE_TOLERANCE})",
        ["probability_purchase_30d", "probability_purchase_90d", "probability_alive"],
    )
    b.where_not(
        "expected_next_order_date only when probability_alive >= 0.5, after as_of_date",
        "case when probability_alive >= 0.5 and median_days_to_next_purchase is not null"
        f" then expected_next_order_date > date '{b.facts.as_of_date.isoformat()}'"
        " else expected_next_order_date is null end",
        ["expected_next_order_date", "probability_alive", "median_days_to_next_purchase"],
    )


@contract_suite
def suite_fct_cohort_survival(b: SuiteBuilder) -> None:
    key = ("store_id", "cohort_month", "survival_period")
    b.rows_at_least(1)
    b.not_null(*key, "cohort_size", "is_forecast")
    b.unique(*key)
    b.first_of("cohort_month")
    b.between("survival_period", low=0)
    b.between("cohort_size", low=1)
    for rate in ("survival_rate", "fitted_survival_rate", "forecast_survival_rate"):
        b.between(rate, low=0, high=1)
    b.between("expected_remaining_lifetime", low=0)
    b.where_not(
        "surviving_customers known exactly on observed rows",
        "is_forecast = (surviving_customers is null)",
        ["is_forecast", "surviving_customers"],
    )
    b.where_not(
        "surviving_customers <= cohort_size; everyone survives period 0",
        "surviving_customers is null or (surviving_customers <= cohort_size"
        " and (survival_period > 0 or surviving_customers = cohort_size))",
        ["surviving_customers", "cohort_size", "survival_period"],
    )
    b.where_not(
        "survival_rate = surviving_customers / cohort_size",
        f"surviving_customers is null or abs(survival_rate - surviving_customers / cohort_size)"
        f" <= {RATE_TOLERANCE}",
        ["survival_rate", "surviving_customers", "cohort_size"],
    )
    b.no_rows(
        "survival never increases with survival_period (observed and forecast)",
        """
        select * from (
            select *,
                lag(surviving_customers) over w as previous_survivors,
                lag(fitted_survival_rate) over w as previous_fitted
            from {batch}
            window w as (partition by store_id, cohort_month order by survival_period)
        )
        where surviving_customers > previous_survivors
           or fitted_survival_rate > previous_fitted + 1e-12
        """,
        [*key, "surviving_customers", "fitted_survival_rate"],
    )
    b.no_rows(
        "cohort sizes per store and cohort month = dim_customers",
        """
        with cohorts as (
            select distinct store_id, cohort_month, cohort_size from {batch}
        ),
        customers as (
            select store_id, cohort_month, count(*) as customers
            from marts.dim_customers group by store_id, cohort_month
        )
        select * from cohorts full join customers using (store_id, cohort_month)
        where cohorts.cohort_size is distinct from customers.customers
        """,
        ["store_id", "cohort_month", "cohort_size"],
        other={"dim_customers": ["store_id", "cohort_month"]},
    )


@contract_suite
def suite_rpt_retention_scenarios(b: SuiteBuilder) -> None:
    key = ("store_id", "crr_uplift_points", "horizon_months")
    b.rows_at_least(1)
    b.not_null(*key)
    b.unique(*key)
    b.between("horizon_months", low=1)
    b.between("gross_margin", low=0, high=1)
    b.between("starting_active_customers", low=0)
    b.between("projected_active_customers", low=0)
    b.where_not(
        "the 0-point scenario is the unchanged projection (no gain)",
        "crr_uplift_points <> 0 or coalesce(net_revenue_gain_vs_unchanged, 0) = 0",
        ["crr_uplift_points", "net_revenue_gain_vs_unchanged"],
    )
    b.where_not(
        "a positive uplift never loses revenue",
        "crr_uplift_points <= 0 or net_revenue_gain_vs_unchanged is null"
        " or net_revenue_gain_vs_unchanged >= -1e-6",
        ["crr_uplift_points", "net_revenue_gain_vs_unchanged"],
    )
    b.where_not(
        "projected_gross_margin = projected_net_revenue x gross_margin",
        "projected_net_revenue is null or abs(projected_gross_margin"
        f" - projected_net_revenue * gross_margin) <= {MONEY_TOLERANCE}",
        ["projected_gross_margin", "projected_net_revenue", "gross_margin"],
    )
    b.no_rows(
        "starting_active_customers = customers active at as_of_date in fct_retention_periods",
        """
        with latest as (
            select store_id, customers_end,
                row_number() over (partition by store_id order by period_start desc) as rn
            from marts.fct_retention_periods where period_grain = 'month'
        )
        select * from {batch} as scenarios
        join latest on latest.store_id = scenarios.store_id and latest.rn = 1
        where scenarios.starting_active_customers <> latest.customers_end
        """,
        ["store_id", "starting_active_customers"],
        other={"fct_retention_periods": ["store_id", "period_grain", "customers_end"]},
    )


@contract_suite
def suite_rpt_loyalty_retention(b: SuiteBuilder) -> None:
    key = ("store_id", "is_loyalty_member", "period_grain", "period_start")
    counts = PERIOD_COUNTS
    b.rows_at_least(1)
    b.not_null(*key, *counts)
    b.unique(*key)
    for column in counts:
        b.between(column, low=0)
    b.between("crr", low=0)
    b.between("churn_rate", low=0, high=1)
    b.between("repeat_purchase_rate", low=0, high=1)
    b.between("average_order_value", low=0)
    b.where_not(
        "E = S - churned + reactivated + new",
        "customers_end = customers_start - churned_customers + reactivated_customers"
        " + new_customers",
        ["customers_end", "customers_start", "churned_customers", "reactivated_customers"],
    )
    b.where_not(
        "crr = (E - N) / S, null when S = 0",
        "case when customers_start = 0 then crr is null else abs(crr - "
        f"(customers_end - new_customers) / customers_start) <= {RATE_TOLERANCE} end",
        ["crr", "customers_end", "new_customers", "customers_start"],
    )
    b.no_rows(
        "members + others = fct_retention_periods, count by count",
        """
        with split as (
            select store_id, period_grain, period_start, count(*) as groups,
                sum(customers_start) as s, sum(customers_end) as e, sum(new_customers) as n,
                sum(retained_customers) as r
            from {batch} group by store_id, period_grain, period_start
        )
        select * from marts.fct_retention_periods as periods
        left join split using (store_id, period_grain, period_start)
        where split.groups is distinct from 2
           or split.s <> periods.customers_start or split.e <> periods.customers_end
           or split.n <> periods.new_customers or split.r <> periods.retained_customers
        """,
        [*key, *counts],
        other={
            "fct_retention_periods": [
                "store_id",
                "period_grain",
                "period_start",
                "customers_start",
                "customers_end",
                "new_customers",
                "retained_customers",
            ]
        },
    )
