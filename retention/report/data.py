"""Queries behind the report: one function per section, each reading its mart.

A section whose mart (or column) is not in the warehouse yet gets a
`Missing` value naming what is absent; the page shows that note instead of
the chart. Rates are read as the marts hold them (CRR and churn rate per
industry segment from rpt_retention_by_industry); the only arithmetic here
sums mart counts and money over stores for the all-store charts. Every
formula lives in the dbt models (macros/metrics/), never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from retention.report.money import UNKNOWN, Currency


@dataclass(frozen=True)
class Missing:
    """A section that cannot be drawn: the mart or columns it needs are absent."""

    mart: str
    columns: tuple[str, ...] = ()
    reason: str | None = None  # a mart that exists but has nothing to show

    @property
    def note(self) -> str:
        if self.reason:
            return self.reason
        if self.columns:
            return f"Not built yet: marts.{self.mart} lacks column(s) {', '.join(self.columns)}."
        return f"Not built yet: marts.{self.mart} is not in this warehouse."


class Marts:
    """Read-only access to the marts schema of one warehouse file."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        rows = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts'"
        ).fetchall()
        self.columns: dict[str, set[str]] = {}
        for table, column in rows:
            self.columns.setdefault(table, set()).add(column)
        self.currency = Currency(self._reporting_currency())

    def _reporting_currency(self) -> str:
        """var reporting_currency of the build (int_run_parameters)."""
        found = self.con.execute(
            "select count(*) from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_run_parameters' and column_name = 'reporting_currency'"
        ).fetchone()[0]
        if not found:
            return UNKNOWN
        (code,) = self.con.execute(
            "select max(reporting_currency) from intermediate.int_run_parameters"
        ).fetchone()
        return str(code or UNKNOWN).upper()

    def missing(self, mart: str, needed: Sequence[str]) -> Missing | None:
        if mart not in self.columns:
            return Missing(mart)
        absent = tuple(c for c in needed if c not in self.columns[mart])
        return Missing(mart, absent) if absent else None

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()


# --- cohort retention -------------------------------------------------------


@dataclass(frozen=True)
class CohortMatrix:
    cohorts: list[date]
    max_offset: int
    retention: dict[tuple[date, int], float]  # (cohort_month, offset) -> rate
    cumulative_revenue: dict[tuple[date, int], float]  # per customer
    cohort_sizes: dict[date, int]


COHORT_COLUMNS = (
    "cohort_month",
    "months_since_first_order",
    "cohort_size",
    "active_customers",
    "cumulative_net_revenue_per_customer",
)


def cohort_matrix(marts: Marts) -> CohortMatrix | Missing:
    """All stores together: active / size, revenue per customer weighted by size."""
    missing = marts.missing("fct_cohort_retention", COHORT_COLUMNS)
    if missing:
        return missing
    rows = marts.rows(
        """
        select
            cohort_month,
            months_since_first_order,
            sum(cohort_size) as cohort_size,
            sum(active_customers) as active_customers,
            sum(cumulative_net_revenue_per_customer * cohort_size) as cumulative_revenue
        from marts.fct_cohort_retention
        group by 1, 2
        order by 1, 2
        """
    )
    retention: dict[tuple[date, int], float] = {}
    revenue: dict[tuple[date, int], float] = {}
    sizes: dict[date, int] = {}
    for cohort, offset, size, active, cumulative in rows:
        sizes[cohort] = int(size)
        if size:
            retention[(cohort, offset)] = float(active) / float(size)
            revenue[(cohort, offset)] = float(cumulative) / float(size)
    return CohortMatrix(
        cohorts=sorted(sizes),
        max_offset=max((o for _, o in retention), default=0),
        retention=retention,
        cumulative_revenue=revenue,
        cohort_sizes=sizes,
    )


# --- retention by industry ---------------------------------------------------


@dataclass(frozen=True)
class IndustryRetention:
    grain: str
    # segment -> [(period_start, crr)], benchmark per segment (None when unknown)
    crr: dict[str, list[tuple[date, float]]]
    benchmark: dict[str, float | None]


def industry_retention(marts: Marts, grain: str = "quarter") -> IndustryRetention | Missing:
    needed = ("industry_segment", "period_grain", "period_start", "is_complete", "crr")
    needed += ("benchmark_retention_rate",)
    missing = marts.missing("rpt_retention_by_industry", needed)
    if missing:
        return missing
    rows = marts.rows(
        """
        select industry_segment, period_start, crr, benchmark_retention_rate
        from marts.rpt_retention_by_industry
        where period_grain = ? and crr is not null and is_complete
        order by 1, 2
        """,
        [grain],
    )
    crr: dict[str, list[tuple[date, float]]] = {}
    benchmark: dict[str, float | None] = {}
    for segment, start, rate, bench in rows:
        crr.setdefault(segment, []).append((start, float(rate)))
        if bench is not None:
            benchmark[segment] = float(bench)
        else:
            benchmark.setdefault(segment, None)
    return IndustryRetention(grain, crr, benchmark)


# --- looking forward: survival, next-purchase calibration, scenarios ---------


@dataclass(frozen=True)
class SurvivalCurve:
    """All stores and cohorts together, per survival period k (fractions of customers)."""

    observed: list[tuple[int, float]]  # cohorts observed at k: survivors / their size
    fitted: list[tuple[int, float]]  # the stores' sBG curves S(k), weighted by cohort size
    projected: list[tuple[int, float]]  # every cohort: observed survivors, else its forecast


SURVIVAL_COLUMNS = (
    "survival_period",
    "cohort_size",
    "surviving_customers",
    "fitted_survival_rate",
    "forecast_surviving_customers",
    "is_forecast",
)


def survival_curve(marts: Marts) -> SurvivalCurve | Missing:
    missing = marts.missing("fct_cohort_survival", SURVIVAL_COLUMNS)
    if missing:
        return missing
    rows = marts.rows(
        """
        select
            survival_period,
            sum(case when not is_forecast then surviving_customers end),
            sum(case when not is_forecast then cohort_size end),
            sum(cohort_size * fitted_survival_rate),
            sum(case when fitted_survival_rate is not null then cohort_size end),
            sum(coalesce(surviving_customers, forecast_surviving_customers)),
            sum(case when surviving_customers is not null
                     or forecast_surviving_customers is not null then cohort_size end)
        from marts.fct_cohort_survival
        group by 1
        order by 1
        """
    )
    observed, fitted, projected = [], [], []
    for k, survivors, observed_size, fitted_sum, fitted_size, projected_sum, size in rows:
        if observed_size:
            observed.append((int(k), float(survivors) / float(observed_size)))
        if fitted_size:
            fitted.append((int(k), float(fitted_sum) / float(fitted_size)))
        if size:
            projected.append((int(k), float(projected_sum) / float(size)))
    return SurvivalCurve(observed, fitted, projected)


@dataclass(frozen=True)
class CalibrationPoint:
    horizon_days: int
    decile: int
    customers: int
    predicted: float
    actual: float


CALIBRATION_COLUMNS = (
    "horizon_days",
    "prediction_decile",
    "customers",
    "mean_predicted_probability",
    "actual_purchase_share",
)


def next_purchase_calibration(marts: Marts) -> list[CalibrationPoint] | Missing:
    """Deciles of every segment pooled per horizon: customer-weighted means."""
    missing = marts.missing("rpt_next_purchase_calibration", CALIBRATION_COLUMNS)
    if missing:
        return missing
    rows = marts.rows(
        """
        select
            horizon_days,
            prediction_decile,
            sum(customers),
            sum(customers * mean_predicted_probability) / sum(customers),
            sum(customers * actual_purchase_share) / sum(customers)
        from marts.rpt_next_purchase_calibration
        group by 1, 2
        order by 1, 2
        """
    )
    if not rows:
        return Missing(
            "rpt_next_purchase_calibration",
            reason=(
                "No holdout in this build: the raw data ends on as_of_date. Build with an "
                "earlier as_of_date (dbt build --vars '{as_of_date: 2024-09-30}') to compare "
                "the predictions with what customers then did."
            ),
        )
    return [CalibrationPoint(int(h), int(d), int(n), float(p), float(a)) for h, d, n, p, a in rows]


@dataclass(frozen=True)
class Scenario:
    uplift_points: float
    horizon_months: int
    projected_active_customers: float
    projected_net_revenue: float
    projected_gross_margin: float
    net_revenue_gain_vs_unchanged: float


SCENARIO_COLUMNS = (
    "crr_uplift_points",
    "horizon_months",
    "projected_active_customers",
    "projected_net_revenue",
    "projected_gross_margin",
    "net_revenue_gain_vs_unchanged",
)


def retention_scenarios(marts: Marts) -> list[Scenario] | Missing:
    """All stores with a current CRR, summed per uplift and horizon."""
    missing = marts.missing("rpt_retention_scenarios", SCENARIO_COLUMNS)
    if missing:
        return missing
    rows = marts.rows(
        """
        select
            crr_uplift_points,
            horizon_months,
            sum(projected_active_customers),
            sum(projected_net_revenue),
            sum(projected_gross_margin),
            sum(net_revenue_gain_vs_unchanged)
        from marts.rpt_retention_scenarios
        where projected_net_revenue is not null
        group by 1, 2
        order by 2, 1
        """
    )
    return [
        Scenario(float(u), int(h), float(a), float(r), float(m), float(g))
        for u, h, a, r, m, g in rows
    ]


# --- predicted CLV -----------------------------------------------------------


def predicted_clv(marts: Marts) -> list[float] | Missing:
    missing = marts.missing("dim_customers", ("predicted_clv",))
    if missing:
        return missing
    rows = marts.rows(
        "select predicted_clv from marts.dim_customers where predicted_clv is not null"
    )
    return [float(value) for (value,) in rows]


# --- RFM segments ------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    name: str
    customers: int
    net_revenue: float
    share_of_customers: float
    share_of_revenue: float
    average_predicted_clv: float | None


def rfm_segments(marts: Marts) -> list[Segment] | Missing:
    needed = ("rfm_segment", "customers", "net_revenue", "average_predicted_clv")
    missing = marts.missing("rpt_customer_segments", needed)
    if missing:
        return missing
    rows = marts.rows(
        """
        select
            rfm_segment,
            sum(customers) as customers,
            sum(net_revenue) as net_revenue,
            sum(average_predicted_clv * customers) / nullif(sum(customers), 0) as average_clv
        from marts.rpt_customer_segments
        group by 1
        order by 2 desc
        """
    )
    total_customers = sum(int(r[1]) for r in rows) or 1
    total_revenue = sum(float(r[2]) for r in rows) or 1.0
    return [
        Segment(
            name=str(name),
            customers=int(customers),
            net_revenue=float(revenue),
            share_of_customers=int(customers) / total_customers,
            share_of_revenue=float(revenue) / total_revenue,
            average_predicted_clv=None if clv is None else float(clv),
        )
        for name, customers, revenue, clv in rows
    ]


# --- KPIs --------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    name: str
    value: str
    detail: str
    missing: Missing | None = None


def _period_kpis(marts: Marts) -> list[Kpi]:
    """CRR and churn rate per industry segment, read as rpt_retention_by_industry has them.

    The latest complete year with customers at its start; the report recomputes
    neither rate (their formulas live in macros/metrics/retention_rates.sql).
    """
    needed = ("industry_segment", "period_grain", "period_start", "is_complete")
    needed += ("customers_start", "crr", "churn_rate")
    missing = marts.missing("rpt_retention_by_industry", needed)
    if missing:
        return [Kpi("Customer retention rate (CRR)", "—", "", missing)]
    rows = marts.rows(
        """
        select industry_segment, period_start, crr, churn_rate, customers_start
        from marts.rpt_retention_by_industry
        where
            period_grain = 'year'
            and is_complete
            and crr is not null
            and period_start = (
                select max(period_start)
                from marts.rpt_retention_by_industry
                where period_grain = 'year' and is_complete and crr is not null
            )
        order by industry_segment
        """
    )
    if not rows:
        no_year = "no complete year with customers at start"
        return [Kpi("Customer retention rate (CRR)", "n/a", no_year)]
    return [
        Kpi(
            f"CRR — {segment}",
            f"{float(crr):.1%}",
            f"year {start.year}, (E \u2212 N) / S over {int(s):,} customers at start;"
            f" churn rate {float(churn):.1%}",
        )
        for segment, start, crr, churn, s in rows
    ]


def _repeat_purchase_rate(marts: Marts) -> Kpi:
    """Share of customers flagged is_repeat_buyer in dim_customers."""
    missing = marts.missing("dim_customers", ("is_repeat_buyer",))
    if missing:
        return Kpi("Repeat purchase rate", "—", "", missing)
    total, repeat = marts.rows(
        "select count(*), count(*) filter (where is_repeat_buyer) from marts.dim_customers"
    )[0]
    rate = repeat / total if total else 0.0
    return Kpi("Repeat purchase rate", f"{rate:.1%}", f"{repeat:,} of {total:,} customers")


def _aov_by_device(marts: Marts) -> list[Kpi]:
    """rpt_aov_by_device_channel summed over stores and months (net revenue / purchases)."""
    needed = ("breakdown", "breakdown_value", "purchases", "net_revenue")
    missing = marts.missing("rpt_aov_by_device_channel", needed)
    if missing:
        return [Kpi("AOV by device", "—", "", missing)]
    rows = marts.rows(
        """
        select breakdown_value, sum(net_revenue) / sum(purchases), sum(purchases)
        from marts.rpt_aov_by_device_channel
        where breakdown = 'device'
        group by 1
        order by 2 desc
        """
    )
    return [
        Kpi(f"AOV — {device}", marts.currency.format(float(aov)), f"{int(count):,} purchases")
        for device, aov, count in rows
    ]


def _clv_to_cac(marts: Marts) -> Kpi:
    needed = ("month", "new_customers", "marketing_spend", "average_predicted_clv")
    missing = marts.missing("rpt_unit_economics", needed)
    if missing:
        return Kpi("CLV : CAC", "—", "", missing)
    row = marts.rows(
        """
        with recent as (
            select *
            from marts.rpt_unit_economics
            where month > (select max(month) from marts.rpt_unit_economics) - interval 12 month
        )
        select
            sum(average_predicted_clv * new_customers) / nullif(sum(new_customers), 0),
            sum(marketing_spend) / nullif(sum(new_customers), 0)
        from recent
        where marketing_spend > 0
        """
    )[0]
    clv, cac = row
    if clv is None or not cac:
        return Kpi("CLV : CAC", "n/a", "no marketing spend in the last 12 months")
    return Kpi(
        "CLV : CAC",
        f"{float(clv) / float(cac):.1f} : 1",
        f"last 12 months, stores with spend: CLV {marts.currency.format(float(clv), 0)}, "
        f"CAC {marts.currency.format(float(cac), 0)}",
    )


def kpis(marts: Marts) -> list[Kpi]:
    return [
        *_period_kpis(marts),
        _repeat_purchase_rate(marts),
        *_aov_by_device(marts),
        _clv_to_cac(marts),
    ]


def as_of_date(marts: Marts) -> date | None:
    if "fct_orders" not in marts.columns:
        return None
    return marts.rows("select max(order_date) from marts.fct_orders")[0][0]
