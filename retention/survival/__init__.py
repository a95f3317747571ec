"""Contractual-style survival of customers' first activity spans (shifted-beta-geometric)."""

from retention.survival.sbg import (
    SBGParams,
    churn_probability,
    discounted_expected_residual_lifetime,
    fit_sbg,
    fit_sbg_survival_curve,
    retention_rate,
    survival,
    survival_curve_observations,
)

__all__ = [
    "SBGParams",
    "churn_probability",
    "discounted_expected_residual_lifetime",
    "fit_sbg",
    "fit_sbg_survival_curve",
    "retention_rate",
    "survival",
    "survival_curve_observations",
]
