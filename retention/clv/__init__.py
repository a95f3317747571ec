"""Predictive customer lifetime value: BG/NBD + Gamma-Gamma fitted on weighted unique rows."""

from retention.clv.bgnbd import (
    BGNBDParams,
    expected_purchases,
    expected_purchases_by_period,
    fit_bgnbd,
    probability_alive,
)
from retention.clv.fit import MIN_REPEAT_BUYERS, fit_segments
from retention.clv.gamma_gamma import (
    GammaGammaParams,
    conditional_expected_spend,
    fit_gamma_gamma,
)
from retention.clv.lifetime_value import predicted_clv

__all__ = [
    "MIN_REPEAT_BUYERS",
    "BGNBDParams",
    "GammaGammaParams",
    "conditional_expected_spend",
    "expected_purchases",
    "expected_purchases_by_period",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_segments",
    "predicted_clv",
    "probability_alive",
]
