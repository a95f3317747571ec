"""One expectation suite per contract mart, all in this file.

Each `suite_<mart>` function adds the mart's expectations to a `SuiteBuilder`.
The builder knows which tables and columns the warehouse holds: an expectation
whose columns (or whose other marts, for reconciliations) are absent is not
added but listed as skipped, so the suites work on a warehouse built before
every mart was merged and say what they could not check.

Every expectation carries a short `description` (``<mart>: <what must hold>``);
the checkpoint prints it for the failed ones. Checks that GX's SQL metrics
cannot express on DuckDB (cross-table reconciliations, identities between
columns, finite-ness) are `UnexpectedRowsExpectation` queries: SQL that
returns the offending rows, run inside DuckDB. `{batch}` is the mart itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

# The marts of CONTRACT.md section 4, in dependency order.
CONTRACT_MARTS: tuple[str, ...] = (
    "fct_orders",
    "dim_customers",
    "fct_cohort_retention",
    "fct_retention_periods",
    "rpt_retention_by_industry",
    "rpt_customer_segments",
    "rpt_unit_economics",
    "clv_model_parameters",
    "rpt_clv_model_evaluation",
)

ORDER_STATUSES = ("completed", "cancelled", "refunded", "pending")
PERIOD_GRAINS = ("month", "quarter", "year")
# METRICS.md "Segments"; used when the warehouse holds no RFM segment seed.
DEFAULT_RFM_SEGMENTS = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalists",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)
# Reconciliations compare sums of decimal(18,2) money; allow a cent per row.
MONEY_TOLERANCE = 0.01
RATE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class WarehouseFacts:
    """What the suites need to know about the warehouse being validated."""

    columns: Mapping[str, frozenset[str]]  # mart -> its columns (present marts only)
    as_of_date: dt.date
    as_of_source: str  # where as_of_date came from (printed)
    rfm_segments: tuple[str, ...]
    rfm_segments_source: str

    def has(self, mart: str, *columns: str) -> bool:
        return mart in self.columns and set(columns) <= self.columns[mart]


@dataclass
class SuiteBuilder:
    """Collects one mart's expectations; skips those whose inputs are absent."""

    mart: str
    facts: WarehouseFacts
    expectations: list[Expectation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    # -- plumbing ---------------------------------------------------------
    def _add(
        self,
        what: str,
        build: Callable[[], Expectation],
        columns: Iterable[str] = (),
        other: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        missing = [c for c in columns if not self.facts.has(self.mart, c)]
        for mart, cols in (other or {}).items():
            if mart not in self.facts.columns:
                missing.append(f"mart {mart}")
            else:
                missing += [f"{mart}.{c}" for c in cols if not self.facts.has(mart, c)]
        if missing:
            self.skipped.append(f"{what} (missing {', '.join(missing)})")
            return
        expectation = build()
        expectation.description = f"{self.mart}: {what}"
        self.expectations.append(expectation)

    # -- column checks ----------------------------------------------------
    def rows_at_least(self, n: int) -> None:
        self._add(f"at least {n} row(s)", lambda: gxe.ExpectTableRowCountToBeBetween(min_value=n))

    def not_null(self, *columns: str) -> None:
        for c in columns:
            self._add(f"{c} not null", lambda c=c: gxe.ExpectColumnValuesToNotBeNull(column=c), [c])

    def unique(self, *columns: str) -> None:
        """A key: written as SQL because GX's compound-uniqueness metric is slow on DuckDB."""
        key = ", ".join(columns)
        self.no_rows(
            f"({key}) unique",
            f"select {key}, count(*) as copies from {{batch}} group by {key} having count(*) > 1",
            columns,
        )

    def in_set(self, column: str, values: Iterable[object]) -> None:
        value_set = list(values)
        self._add(
            f"{column} in {value_set}",
            lambda: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=value_set),
            [column],
        )

    def between(self, column: str, low: float | None = None, high: float | None = None) -> None:
        """low <= column <= high; SQL comparison, so NaN (greater than all) fails a high bound."""
        bounds = (
            f"{'' if low is None else f'{low} <= '}{column}{'' if high is None else f' <= {high}'}"
        )
        self._add(
            bounds,
            lambda: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
            [column],
        )

    def not_after_as_of(self, column: str) -> None:
        as_of = self.facts.as_of_date.isoformat()
        self._add(
            f"{column} not after as_of_date {as_of}",
            lambda: gxe.ExpectColumnMaxToBeBetween(column=column, max_value=as_of),
            [column],
        )

    # -- SQL checks ---------------------------------------------------------
    def no_rows(
        self,
        what: str,
        query: str,
        columns: Iterable[str] = (),
        other: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """`query` returns the rows that break `what`; none may come back."""
        self._add(
            what, lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=query), columns, other
        )

    def where_not(self, what: str, condition: str, columns: Iterable[str]) -> None:
        """Every row satisfies `condition` (a null result counts as a failure)."""
        self.no_rows(
            what, f"select * from {{batch}} where not coalesce({condition}, false)", columns
        )

    def positive_finite(self, *columns: str) -> None:
        for c in columns:
            self.where_not(f"{c} positive and finite", f"isfinite({c}) and {c} > 0", [c])

    def first_of(self, column: str, grain: str = "month") -> None:
        self.where_not(
            f"{column} is the first day of its {grain}",
            f"{column} is null or {column} = date_trunc('{grain}', {column})",
            [column],
        )

    def build(self) -> gx.ExpectationSuite:
        # all at once: add_expectation() on a suite whose name is already
        # stored would write the store once per expectation
        return gx.ExpectationSuite(name=self.mart, expectations=list(self.expectations))


def _marts(name: str) -> str:
    return f"marts.{name}"


def _per_store_totals_match_dim_customers(
    b: SuiteBuilder, name: str, customers_sql: str, columns: list[str]
) -> None:
    """Per store, `customers_sql` and sum(net_revenue) over the batch equal
    the customer count and net revenue of dim_customers."""
    b.no_rows(
        name,
        f"""
        with batch_totals as (
            select store_id, {customers_sql} as customers, sum(net_revenue) as net_revenue
            from {{batch}} group by store_id
        ),
        customers as (
            select store_id, count(*) as customers, sum(net_revenue) as net_revenue
            from {_marts("dim_customers")} group by store_id
        )
        select * from batch_totals full join customers using (store_id)
        where batch_totals.customers is distinct from customers.customers
           or abs(coalesce(batch_totals.net_revenue, 0) - coalesce(customers.net_revenue, 0))
              > {MONEY_TOLERANCE}
        """,
        columns,
        other={"dim_customers": ["store_id", "net_revenue"]},
    )


# ---------------------------------------------------------------- the marts
def suite_fct_orders(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "order_id", "industry_segment", "ordered_at", "order_date", "status")
    b.not_null("net_revenue", "discount_amount", "subtotal_amount")
    b.unique("store_id", "order_id")
    b.in_set("status", ORDER_STATUSES)
    for money in ("net_revenue", "discount_amount", "subtotal_amount"):
        b.between(money, low=0)
    b.between("refund_amount", low=0)
    b.not_after_as_of("order_date")
    b.between("customer_order_number", low=1)
    b.between("days_since_previous_order", low=0)
    b.between("months_since_first_order", low=0)
    b.first_of("cohort_month")
    b.where_not(
        "is_first_order exactly when customer_order_number = 1",
        "(is_first_order is null and customer_order_number is null)"
        " or is_first_order = (customer_order_number = 1)",
        ["is_first_order", "customer_order_number"],
    )
    b.where_not(
        "non-purchases carry no net revenue",
        "status in ('completed', 'refunded') or net_revenue = 0",
        ["status", "net_revenue"],
    )


def suite_dim_customers(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "customer_id", "industry_segment", "first_order_date", "cohort_month")
    b.not_null("last_order_date", "orders_count", "net_revenue")
    b.unique("store_id", "customer_id")
    b.between("orders_count", low=1)
    for money in ("net_revenue", "average_order_value", "historical_clv", "predicted_clv"):
        b.between(money, low=0)
    b.not_after_as_of("last_order_date")
    b.where_not(
        "first_order_date <= last_order_date",
        "first_order_date <= last_order_date",
        ["first_order_date", "last_order_date"],
    )
    b.where_not(
        "cohort_month is the month of first_order_date",
        "cohort_month = date_trunc('month', first_order_date)",
        ["cohort_month", "first_order_date"],
    )
    # buy-till-you-die summary
    for column in ("frequency", "recency_days", "tenure_days", "monetary_value"):
        b.between(column, low=0)
    b.where_not(
        "frequency <= orders_count - 1",
        "frequency <= orders_count - 1",
        ["frequency", "orders_count"],
    )
    b.where_not(
        "recency_days <= tenure_days",
        "recency_days <= tenure_days",
        ["recency_days", "tenure_days"],
    )
    # RFM
    for score in ("rfm_recency_score", "rfm_frequency_score", "rfm_monetary_score"):
        b.between(score, low=1, high=5)
    b.in_set("rfm_segment", b.facts.rfm_segments)
    # flags
    flags = (
        "is_first_time_buyer",
        "is_repeat_buyer",
        "is_vip",
        "is_discount_shopper",
        "is_full_price_buyer",
        "is_cart_abandoner",
        "is_high_aov",
        "is_big_spender",
        "is_churn_risk",
    )
    # is_cart_abandoner is null (unknown) for stores without carts data
    b.not_null(*(flag for flag in flags if flag != "is_cart_abandoner"))
    b.where_not(
        "is_first_time_buyer exactly when orders_count = 1",
        "is_first_time_buyer = (orders_count = 1)",
        ["is_first_time_buyer", "orders_count"],
    )
    b.where_not(
        "is_repeat_buyer exactly when orders_count >= 2",
        "is_repeat_buyer = (orders_count >= 2)",
        ["is_repeat_buyer", "orders_count"],
    )
    # predictions
    b.between("probability_alive", low=0, high=1)
    b.between("predicted_purchases", low=0)
    # reconciliation with fct_orders: customers, purchases and revenue
    b.no_rows(
        "customers, purchases and net revenue per store = fct_orders' customer purchases",
        f"""
        with customers as (
            select store_id, count(*) as customers, sum(orders_count) as purchases,
                   sum(net_revenue) as net_revenue
            from {{batch}} group by store_id
        ),
        orders as (
            select store_id, count(distinct customer_id) as customers, count(*) as purchases,
                   sum(net_revenue) as net_revenue
            from {_marts("fct_orders")}
            where is_purchase and customer_id is not null
            group by store_id
        )
        select * from customers full join orders using (store_id)
        where customers.customers is distinct from orders.customers
           or customers.purchases is distinct from orders.purchases
           or abs(coalesce(customers.net_revenue, 0) - coalesce(orders.net_revenue, 0))
              > {MONEY_TOLERANCE}
        """,
        ["store_id", "orders_count", "net_revenue"],
        other={"fct_orders": ["store_id", "customer_id", "is_purchase", "net_revenue"]},
    )


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
    _per_store_totals_match_dim_customers(
        b,
        "cohort sizes and revenue per store = dim_customers (customers, net revenue)",
        "sum(case when months_since_first_order = 0 then cohort_size end)",
        [*key, "cohort_size", "net_revenue"],
    )


def _retention_identities(b: SuiteBuilder) -> None:
    """Checks shared by fct_retention_periods and rpt_retention_by_industry."""
    counts = (
        "customers_start",
        "customers_end",
        "new_customers",
        "retained_customers",
        "churned_customers",
        "reactivated_customers",
    )
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
            left join {_marts("dim_customers")} as dim
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


def suite_rpt_retention_by_industry(b: SuiteBuilder) -> None:
    key = ("industry_segment", "period_grain", "period_start")
    b.rows_at_least(1)
    b.not_null("industry_segment")
    b.unique(*key)
    _retention_identities(b)
    b.between("benchmark_retention_rate", low=0, high=1)
    counts = (
        "customers_start",
        "customers_end",
        "new_customers",
        "retained_customers",
        "churned_customers",
        "reactivated_customers",
    )
    mismatches = " or ".join(f"rpt.{c} is distinct from stores.{c}" for c in counts)
    b.no_rows(
        "counts = fct_retention_periods summed over the segment's stores",
        f"""
        with stores as (
            select industry_segment, period_grain, period_start,
                   {", ".join(f"sum({c}) as {c}" for c in counts)}
            from {_marts("fct_retention_periods")}
            group by industry_segment, period_grain, period_start
        )
        select * from {{batch}} as rpt
        full join stores using (industry_segment, period_grain, period_start)
        where {mismatches}
        """,
        [*key, *counts],
        other={"fct_retention_periods": [*key, *counts]},
    )


def suite_rpt_customer_segments(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("store_id", "rfm_segment", "customers")
    b.unique("store_id", "rfm_segment")
    b.in_set("rfm_segment", b.facts.rfm_segments)
    # every seed segment has a row per store, empty segments included
    b.between("customers", low=0)
    b.between("share_of_customers", low=0, high=1)
    b.between("share_of_revenue", low=0, high=1)
    for money in ("net_revenue", "average_historical_clv", "average_predicted_clv"):
        b.between(money, low=0)
    b.no_rows(
        "shares of customers sum to 1 per store",
        "select store_id, sum(share_of_customers) as total from {batch} group by store_id "
        "having abs(sum(share_of_customers) - 1) > 1e-6",
        ["store_id", "share_of_customers"],
    )
    _per_store_totals_match_dim_customers(
        b,
        "customers and net revenue per store = dim_customers",
        "sum(customers)",
        ["store_id", "customers", "net_revenue"],
    )


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
        left join {_marts("dim_customers")} as dim
            on dim.store_id = rpt.store_id and dim.cohort_month = rpt.month
        group by rpt.store_id, rpt.month, rpt.new_customers
        having rpt.new_customers <> count(dim.customer_id)
        """,
        ["store_id", "month", "new_customers"],
        other={"dim_customers": ["store_id", "customer_id", "cohort_month"]},
    )


def suite_clv_model_parameters(b: SuiteBuilder) -> None:
    b.rows_at_least(1)
    b.not_null("industry_segment", "converged")
    b.unique("industry_segment")
    b.between("customers_fitted", low=1)
    b.positive_finite("r", "alpha", "a", "b", "p", "q", "gamma")
    b.where_not("log_likelihood finite", "isfinite(log_likelihood)", ["log_likelihood"])


def suite_rpt_clv_model_evaluation(b: SuiteBuilder) -> None:
    b.not_null("industry_segment")
    b.unique("industry_segment")
    b.between("holdout_days", low=1)
    b.between("customers", low=0)
    b.between("actual_repeat_purchases", low=0)
    b.between("predicted_repeat_purchases", low=0)
    for column in sorted(b.facts.columns.get(b.mart, ())):
        if "absolute_error" in column:
            b.between(column, low=0)


SUITES: dict[str, Callable[[SuiteBuilder], None]] = {
    "fct_orders": suite_fct_orders,
    "dim_customers": suite_dim_customers,
    "fct_cohort_retention": suite_fct_cohort_retention,
    "fct_retention_periods": suite_fct_retention_periods,
    "rpt_retention_by_industry": suite_rpt_retention_by_industry,
    "rpt_customer_segments": suite_rpt_customer_segments,
    "rpt_unit_economics": suite_rpt_unit_economics,
    "clv_model_parameters": suite_clv_model_parameters,
    "rpt_clv_model_evaluation": suite_rpt_clv_model_evaluation,
}
assert tuple(SUITES) == CONTRACT_MARTS


def build_suite(mart: str, facts: WarehouseFacts) -> SuiteBuilder:
    """The suite of one mart present in the warehouse (with what it skipped)."""
    builder = SuiteBuilder(mart, facts)
    SUITES[mart](builder)
    return builder
