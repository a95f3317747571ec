"""Month-by-month projection of a store's active customers under a yearly retention rate.

The model of rpt_retention_scenarios (DECISIONLOG.md, "Retention-uplift scenarios"):

    yearly retention  c_u = current yearly CRR + u / 100         (u = uplift in points)
    monthly retention q   = c_u^(1/12)
    active(0)             = customers active on as_of_date
    active(m)             = active(m - 1) x q + new customers per month,    m = 1..H
    net revenue           = sum over m = 1..H of active(m) x net revenue per active customer-month
    gross margin          = net revenue x the segment's gross margin

This module computes it by the recursion, month by month; the SQL mart uses the closed form
active(m) = active(0) q^m + n (1 - q^m) / (1 - q), so the two are independent computations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioInputs:
    """A store's current state; all rates are per month except ``yearly_crr``."""

    active_customers: float
    new_customers_per_month: float
    yearly_crr: float
    net_revenue_per_active_customer_month: float
    gross_margin: float


@dataclass(frozen=True)
class ScenarioResult:
    crr_uplift_points: float
    horizon_months: int
    scenario_yearly_crr: float
    monthly_retention: float
    projected_active_customers: float
    projected_net_revenue: float
    projected_gross_margin: float
    net_revenue_gain_vs_unchanged: float


def _run(inputs: ScenarioInputs, uplift_points: float, horizon_months: int) -> tuple[float, ...]:
    yearly = inputs.yearly_crr + uplift_points / 100.0
    if yearly < 0:
        raise ValueError("the scenario's yearly retention rate is negative")
    monthly = yearly ** (1.0 / 12.0)
    active, revenue = inputs.active_customers, 0.0
    for _ in range(horizon_months):
        active = active * monthly + inputs.new_customers_per_month
        revenue += active * inputs.net_revenue_per_active_customer_month
    return yearly, monthly, active, revenue


def project(inputs: ScenarioInputs, uplift_points: float, horizon_months: int) -> ScenarioResult:
    """Projection after ``horizon_months`` with yearly CRR raised by ``uplift_points``."""
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    yearly, monthly, active, revenue = _run(inputs, uplift_points, horizon_months)
    unchanged_revenue = _run(inputs, 0.0, horizon_months)[3]
    return ScenarioResult(
        crr_uplift_points=uplift_points,
        horizon_months=horizon_months,
        scenario_yearly_crr=yearly,
        monthly_retention=monthly,
        projected_active_customers=active,
        projected_net_revenue=revenue,
        projected_gross_margin=revenue * inputs.gross_margin,
        net_revenue_gain_vs_unchanged=revenue - unchanged_revenue,
    )
