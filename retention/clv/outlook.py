"""Next-purchase outlook of one customer under a fitted BG/NBD model (closed forms).

In BG/NBD (Fader, Hardie & Lee 2005) a customer's purchase rate lambda ~ Gamma(r, alpha) and
a customer can drop out only right after a purchase. Given x repeat purchases in (0, T] and
that the customer is still alive at T, the posterior of lambda is Gamma(r + x, alpha + T)
(likelihood lambda^x exp(-lambda T)), and the customer stays alive at least until the next
purchase, which is then exponential with rate lambda. Integrating over lambda:

    P(no purchase in (T, T + t] | alive) = ((alpha + T) / (alpha + T + t))^(r + x)
    P(purchase within t | alive)         = 1 - ((alpha + T) / (alpha + T + t))^(r + x)
    P(purchase within t)                 = P(alive | x, t_x, T) x P(purchase within t | alive)
    median days to next purchase | alive = (alpha + T) (2^(1 / (r + x)) - 1)

A dead customer never buys again, so P(purchase within t) tends to P(alive) as t grows. These
are the reference implementations the warehouse uses (retention.clv.score) and tests check
against a Monte Carlo simulation of the model (retention/tests/test_next_purchase_outlook.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from retention.clv.bgnbd import BGNBDParams, probability_alive

FloatArray = NDArray[np.float64]

#: Horizons (days) of the next-purchase probabilities published in dim_customers.
OUTLOOK_HORIZONS_DAYS = (30, 90)
#: expected_next_order_date is published only for customers at least this likely to be alive.
MIN_PROBABILITY_ALIVE_FOR_DATE = 0.5


def probability_purchase_within_if_alive(
    params: BGNBDParams, t: ArrayLike, x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """1 - ((alpha + T) / (alpha + T + t))^(r + x): next purchase within t days if alive."""
    tt, xa, Ta = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (t, x, T)))
    if np.any(tt < 0):
        raise ValueError("t must be non-negative")
    alpha_T = params.alpha + Ta
    return -np.expm1((params.r + xa) * (np.log(alpha_T) - np.log(alpha_T + tt)))


def probability_purchase_within(
    params: BGNBDParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(alive | x, t_x, T) x P(next purchase within t days | alive)."""
    return probability_alive(params, x, t_x, T) * probability_purchase_within_if_alive(
        params, t, x, T
    )


def median_days_to_next_purchase(params: BGNBDParams, x: ArrayLike, T: ArrayLike) -> FloatArray:
    """(alpha + T) (2^(1 / (r + x)) - 1): median waiting time of an alive customer, in days."""
    xa, Ta = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, T)))
    return (params.alpha + Ta) * np.expm1(np.log(2.0) / (params.r + xa))
