"""Expectation suites of the retention marts (models/marts/retention/)."""

from __future__ import annotations

from retention.validate.suites.builder import (
    MONEY_TOLERANCE,
    PERIOD_COUNTS,
    PERIOD_GRAINS,
    RATE_TOLERANCE,
    SuiteBuilder,
    contract_suite,
    marts,
    per_store_totals_match_dim_customers,
)


@contract_suite
def suite_fct_cohort_retention(b: SuiteBuilder) -> None:
    key = ("store_id", "cohort_month", "months_since_first_order")
    b.rows_at_least(1)
    b.not_null(*key, "industry_segment", "cohort_size", "active_customers", "retention_rate")
    b.unique(*key)
    b.between("months_since_first_order", low=0)
    b.between("cohort_size", low=1)
    b.between("active_customers", low=0)
    b.between("retention_rate", low=0, high=1)
    b.between("net_revenue", low=0)
    b.between("cumulative_net_revenue_per_customer", low=0)
    b.first_of("cohort_month")
    b.not_after_as_of("cohort_month")
    b.where_not(
        "active_customers <= cohort_size",
        "active_customers <= cohort_size",
        ["active_customers", "cohort_size"],
    )
    b.where_not(
        "retention_rate = active_customers / cohort_size",
        f"abs(retention_rate - active_customers / cohort_size) <= {RATE_TOLERANCE}",
        ["retention_rate", "active_customers", "cohort_size"],
    )
    b.where_not(
        "every customer is active in offset 0",
        "months_since_first_order <> 0 or active_customers = cohort_size",
        ["months_since_first_order", "active_customers", "cohort_size"],
    )
    as_of = b.facts.as_of_date.isoformat()
    b.no_rows(
        "every offset from 0 to the as-of month is present (complete matrix)",
        f"""
        select store_id, cohort_month, count(*) as offsets,
               min(months_since_first_order) as first_offset,
               max(months_since_first_order) as last_offset
        from {{batch}}
        group by store_id, cohort_month
        having min(months_since_first_order) <> 0
            or count(*) <> max(months_since_first_order) + 1
            or max(months_since_first_order)
               <> date_diff('month', cohort_month, date_trunc('month', date '{as_of}'))
        """,
        key,
    )
    per_store_totals_match_dim_customers(
        b,
        "cohort sizes and revenue per store = dim_customers (customers, net revenue)",
        "sum(case when months_since_first_order = 0 then cohort_size end)",
        [*key, "cohort_size", "net_revenue"],
    )


def _retention_identities(b: SuiteBuilder) -> None:
    """Checks shared by fct_retention_periods and rpt_retention_by_industry."""
    counts = PERIOD_COUNTS
    b.not_null("period_grain", "period_start", "period_end", *counts)
    b.in_set("period_grain", PERIOD_GRAINS)
    for column in counts:
        b.between(column, low=0)
    b.between("crr", low=0)
    b.between("churn_rate", low=0, high=1)
    b.not_after_as_of("period_start")
    b.where_not(
        "period_start is the first day of its period_grain",
        "period_start = date_trunc(period_grain, period_start)",
        ["period_start", "period_grain"],
    )
    b.where_not(
        "period_end is the last day of the period",
        "period_end = cast(date_trunc(period_grain, period_start)"
        " + case period_grain when 'month' then interval 1 month"
        " when 'quarter' then interval 3 month else interval 1 year end as date) - 1",
        ["period_start", "period_end", "period_grain"],
    )
    b.where_not(
        "E = S - churned + reactivated + new",
        "customers_end = customers_start - churned_customers + reactivated_customers"
        " + new_customers",
        ["customers_end", "customers_start", "churned_customers", "reactivated_customers"],
    )
    b.where_not(
        "retained = S - churned",
        "retained_customers = customers_start - churned_customers",
        ["retained_customers", "customers_start", "churned_customers"],
    )
    b.where_not(
        "crr = (E - N) / S, null when S = 0",
        f"case when customers_start = 0 then crr is null else abs(crr - "
        f"(customers_end - new_customers) / customers_start) <= {RATE_TOLERANCE} end",
        ["crr", "customers_end", "new_customers", "customers_start"],
    )
    b.where_not(
        "churn_rate = churned / S, null when S = 0",
        f"case when customers_start = 0 then churn_rate is null else abs(churn_rate - "
        f"churned_customers / customers_start) <= {RATE_TOLERANCE} end",
        ["churn_rate", "churned_customers", "customers_start"],
    )
    b.between("returning_customer_rate", low=0, high=1)
    b.where_not(
        "returning customer rate = returning / purchasing, null when nobody purchased",
        "case when purchasing_customers = 0 then returning_customer_rate is null"
        " else returning_customers <= purchasing_customers and abs(returning_customer_rate - "
        f"returning_customers / purchasing_customers) <= {RATE_TOLERANCE} end",
        ["returning_customer_rate", "returning_customers", "purchasing_customers"],
    )


@contract_suite
def suite_fct_retention_periods(b: SuiteBuilder) -> None:
    key = ("store_id", "period_grain", "period_start")
    b.rows_at_least(1)
    b.not_null("store_id", "industry_segment")
    b.unique(*key)
    _retention_identities(b)
    b.no_rows(
        "monthly new customers per store = dim_customers first purchases in those months",
        f"""
        with periods as (
            select store_id, min(period_start) as first_month, max(period_start) as last_month,
                   sum(new_customers) as new_customers
            from {{batch}} where period_grain = 'month' group by store_id
        ),
        customers as (
            select periods.store_id, count(dim.customer_id) as new_customers
            from periods
            left join {marts("dim_customers")} as dim
                on dim.store_id = periods.store_id
                and dim.cohort_month between periods.first_month and periods.last_month
            group by periods.store_id
        )
        select * from periods join customers using (store_id)
        where periods.new_customers <> customers.new_customers
        """,
        [*key, "new_customers"],
        other={"dim_customers": ["store_id", "customer_id", "cohort_month"]},
    )


@contract_suite
def suite_rpt_retention_by_industry(b: SuiteBuilder) -> None:
    key = ("industry_segment", "period_grain", "period_start")
    b.rows_at_least(1)
    b.not_null("industry_segment")
    b.unique(*key)
    _retention_identities(b)
    b.between("benchmark_retention_rate", low=0, high=1)
    counts = PERIOD_COUNTS
    mismatches = " or ".join(f"rpt.{c} is distinct from stores.{c}" for c in counts)
    b.no_rows(
        "counts = fct_retention_periods summed over the segment's stores",
        f"""
        with stores as (
            select industry_segment, period_grain, period_start,
                   {", ".join(f"sum({c}) as {c}" for c in counts)}
            from {marts("fct_retention_periods")}
            group by industry_segment, period_grain, period_start
        )
        select * from {{batch}} as rpt
        full join stores using (industry_segment, period_grain, period_start)
        where {mismatches}
        """,
        [*key, *counts],
        other={"fct_retention_periods": [*key, *counts]},
    )


@contract_suite
def suite_rpt_cohort_retention_by_industry(b: SuiteBuilder) -> None:
    key = ("industry_segment", "cohort_month", "months_since_first_order")
    summed = (
        "cohort_size",
        "active_customers",
        "net_revenue",
        "cumulative_net_revenue",
        "repeat_customers",
    )
    b.rows_at_least(1)
    b.not_null(*key, "activity_month", "stores_count", *summed)
    b.not_null("retention_rate", "cumulative_net_revenue_per_customer", "repeat_purchase_rate")
    b.unique(*key)
    b.first_of("cohort_month")
    b.not_after_as_of("activity_month")
    b.between("months_since_first_order", low=0)
    b.between("stores_count", low=1)
    b.between("cohort_size", low=1)
    b.between("retention_rate", low=0, high=1)
    b.between("repeat_purchase_rate", low=0, high=1)
    b.where_not(
        "activity_month = cohort_month + months_since_first_order months",
        "activity_month = cast(cohort_month + to_months(months_since_first_order) as date)",
        ["activity_month", "cohort_month", "months_since_first_order"],
    )
    for rate, numerator in (
        ("retention_rate", "active_customers"),
        ("cumulative_net_revenue_per_customer", "cumulative_net_revenue"),
        ("repeat_purchase_rate", "repeat_customers"),
    ):
        b.where_not(
            f"{rate} = {numerator} / cohort_size (of the sums)",
            f"abs({rate} - {numerator} / cohort_size) <= {RATE_TOLERANCE} * greatest(1, {rate})",
            [rate, numerator, "cohort_size"],
        )
    mismatches = " or ".join(
        f"abs(rpt.{c} - stores.{c}) > {MONEY_TOLERANCE}"
        if "revenue" in c
        else f"rpt.{c} is distinct from stores.{c}"
        for c in (*summed, "stores_count")
    )
    b.no_rows(
        "stores, counts and revenue = fct_cohort_retention summed over the segment's stores",
        f"""
        with stores as (
            select industry_segment, cohort_month, months_since_first_order,
                   count(*) as stores_count,
                   {", ".join(f"sum({c}) as {c}" for c in summed)}
            from {marts("fct_cohort_retention")}
            group by industry_segment, cohort_month, months_since_first_order
        )
        select * from {{batch}} as rpt
        full join stores
            on rpt.industry_segment = stores.industry_segment
            and rpt.cohort_month = stores.cohort_month
            and rpt.months_since_first_order = stores.months_since_first_order
        where rpt.industry_segment is null or stores.industry_segment is null or {mismatches}
        """,
        [*key, *summed, "stores_count"],
        other={"fct_cohort_retention": [*key, *summed]},
    )
