"""Predicted customer lifetime value from BG/NBD purchases and Gamma-Gamma spend."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from retention.clv.bgnbd import BGNBDParams, expected_purchases_by_period
from retention.clv.gamma_gamma import GammaGammaParams, conditional_expected_spend

FloatArray = NDArray[np.float64]

#: Mean Gregorian month in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def predicted_clv(
    bg: BGNBDParams,
    gg: GammaGammaParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    margin: ArrayLike,
    horizon_months: int,
    annual_discount_rate: float,
    days_per_month: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Discounted expected margin over the next ``horizon_months`` months, per customer.

        predicted_clv = sum_{k=1..H} E[purchases in month k] * E[spend | x, m] * margin
                                     / (1 + monthly_rate)^k
        monthly_rate  = (1 + annual_discount_rate)^(1/12) - 1

    Month k is the window (T + (k-1)*days_per_month, T + k*days_per_month] in the time unit of
    t_x and T (days in the warehouse); E[purchases in month k] is the difference of the BG/NBD
    conditional expectation at the window ends, E[spend | x, m] the Gamma-Gamma conditional
    mean (population mean for x = 0). Cash flows are discounted to the end of each month.
    ``margin`` (gross margin share) is a scalar or one value per customer.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    if annual_discount_rate <= -1:
        raise ValueError("annual_discount_rate must be > -1")
    by_month = expected_purchases_by_period(bg, x, t_x, T, days_per_month, horizon_months)
    monthly_rate = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly_rate) ** -np.arange(1, horizon_months + 1, dtype=np.float64)
    spend = np.atleast_1d(conditional_expected_spend(gg, x, m)).ravel()
    margin_a = np.broadcast_to(np.asarray(margin, dtype=np.float64), spend.shape)
    return (by_month @ discount) * spend * margin_a
