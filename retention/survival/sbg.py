"""Shifted-beta-geometric (sBG) survival model (Fader & Hardie 2007, "How to Project Customer
Retention", Journal of Interactive Marketing 21(1)).

Each customer leaves at the end of every period with a constant probability theta, and theta
varies across customers as Beta(alpha, beta). With T the period in which a customer leaves
(T = 1, 2, ...):

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)          (paper eq. 5)
    S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta)       (paper eq. 6)
    r(t)     = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

Data are survival counts per cohort: a cohort observed for K periods contributes
(S(t-1) - S(t)) customers who left in period t (t = 1..K), each with log P(T = t), and S(K)
right-censored survivors with log S(K) (paper eq. 7 for one cohort; several cohorts of
different ages simply add their terms). Fitted by maximum likelihood in log-parameters with an
analytic gradient (retention._optim, the driver of the BG/NBD fit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from retention._optim import minimize_log_params

FloatArray = NDArray[np.float64]

#: Starting points (log alpha, log beta) tried in order until one converges.
_STARTS = ((0.0, 0.0), (-0.5, 1.0), (1.0, 2.0), (-1.0, -1.0))
#: Terms of the residual-lifetime series stop once below this (relative to the sum).
_SERIES_TOL = 1e-13
_MAX_SERIES_TERMS = 1_000_000
#: alpha + beta above this leaves Beta(alpha, beta) no spread: the data show no heterogeneity
#: and the likelihood keeps rising towards the geometric limit (constant retention 1 - theta).
#: The fit then reports that limit with alpha + beta = GEOMETRIC_CONCENTRATION.
GEOMETRIC_LIMIT_CONCENTRATION = 1e4
GEOMETRIC_CONCENTRATION = 1e6


@dataclass(frozen=True)
class SBGParams:
    """Fitted sBG parameters; ``n_customers`` is the total weight of the cohorts fitted."""

    alpha: float
    beta: float
    log_likelihood: float
    converged: bool
    n_customers: float
    message: str = ""
    #: True when the fit is the homogeneous (geometric) limit, see GEOMETRIC_LIMIT_CONCENTRATION
    is_geometric_limit: bool = False


def _periods(t: ArrayLike) -> FloatArray:
    arr = np.asarray(t, dtype=np.float64)
    if np.any(arr < 0) or np.any(arr != np.floor(arr)):
        raise ValueError("periods must be whole numbers >= 0")
    return arr


def survival(alpha: float, beta: float, t: ArrayLike) -> FloatArray:
    """S(t) = B(alpha, beta + t) / B(alpha, beta): share still active after t periods."""
    tt = _periods(t)
    return np.exp(special.betaln(alpha, beta + tt) - special.betaln(alpha, beta))


def churn_probability(alpha: float, beta: float, t: ArrayLike) -> FloatArray:
    """P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) for t >= 1."""
    tt = _periods(t)
    if np.any(tt < 1):
        raise ValueError("a customer can only leave in period 1 or later")
    return np.exp(special.betaln(alpha + 1.0, beta + tt - 1.0) - special.betaln(alpha, beta))


def retention_rate(alpha: float, beta: float, t: ArrayLike) -> FloatArray:
    """r(t) = (beta + t - 1) / (alpha + beta + t - 1): share of period t-1's survivors kept."""
    tt = _periods(t)
    if np.any(tt < 1):
        raise ValueError("the retention rate is defined for t >= 1")
    return (beta + tt - 1.0) / (alpha + beta + tt - 1.0)


def discounted_expected_residual_lifetime(
    alpha: float, beta: float, survived_periods: int, discount_rate_per_period: float
) -> float:
    """Expected number of further periods survived, discounted, by a customer who survived k.

    DERL(k) = sum_{j>=1} S(k + j) / S(k) / (1 + d)^j, where S(k + j) / S(k) is the product of
    r(k + 1) .. r(k + j). The undiscounted sum is (beta + k) / (alpha - 1) when alpha > 1 and
    infinite otherwise (heavy tail of loyal customers), hence the discount d > 0. Closed form
    (used by the tests as the independent check): 2F1(1, beta + k; alpha + beta + k; 1/(1+d)) - 1.
    """
    if discount_rate_per_period <= 0:
        raise ValueError("discount_rate_per_period must be > 0 (the undiscounted sum may diverge)")
    if survived_periods < 0:
        raise ValueError("survived_periods must be >= 0")
    delta = 1.0 / (1.0 + discount_rate_per_period)
    total, term = 0.0, 1.0
    for j in range(1, _MAX_SERIES_TERMS + 1):
        t = survived_periods + j
        term *= (beta + t - 1.0) / (alpha + beta + t - 1.0) * delta
        total += term
        if term < _SERIES_TOL * total:
            break
    return total


def survival_curve_observations(
    survivors: Sequence[float],
) -> tuple[FloatArray, NDArray[np.bool_], FloatArray]:
    """One cohort's survivor counts s_0 (cohort size), s_1, ..., s_K as likelihood rows.

    Returns (period, is_censored, weight): s_{t-1} - s_t customers left in period t, and s_K
    are right-censored at period K. A cohort with K = 0 tells nothing and gives no rows.
    """
    s = np.asarray(survivors, dtype=np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ValueError("survivors must be a non-empty sequence starting with the cohort size")
    if np.any(s < 0) or np.any(np.diff(s) > 0):
        raise ValueError("survivor counts must be non-negative and never increase")
    k = s.size - 1
    if k == 0:
        return np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0)
    periods = np.concatenate([np.arange(1, k + 1, dtype=np.float64), [float(k)]])
    censored = np.concatenate([np.zeros(k, dtype=bool), [True]])
    weights = np.concatenate([s[:-1] - s[1:], [s[-1]]])
    return periods, censored, weights


def _neg_ll_and_grad(
    log_params: FloatArray, t: FloatArray, censored: NDArray[np.bool_], w: FloatArray
) -> tuple[float, FloatArray]:
    alpha, beta = np.exp(log_params)
    ab = alpha + beta
    psi_ab = special.digamma(ab)
    base = special.betaln(alpha, beta)
    # left in period t: log P(T = t); still there after t: log S(t)
    ll = np.where(
        censored,
        special.betaln(alpha, beta + t) - base,
        special.betaln(alpha + 1.0, beta + t - 1.0) - base,
    )
    d_alpha = np.where(
        censored,
        psi_ab - special.digamma(ab + t),
        special.digamma(alpha + 1.0) - special.digamma(ab + t) - special.digamma(alpha) + psi_ab,
    )
    d_beta = np.where(
        censored,
        special.digamma(beta + t) - special.digamma(ab + t) - special.digamma(beta) + psi_ab,
        special.digamma(beta + t - 1.0) - special.digamma(ab + t) - special.digamma(beta) + psi_ab,
    )
    total = float(np.sum(w))
    f = -float(np.sum(w * ll)) / total
    grad = -np.array([np.sum(w * d_alpha) * alpha, np.sum(w * d_beta) * beta]) / total
    return f, grad


def fit_sbg(periods: ArrayLike, is_censored: ArrayLike, weights: ArrayLike) -> SBGParams:
    """Maximum-likelihood sBG fit on (period, censored, weight) rows.

    A row with is_censored = False stands for ``weight`` customers who left in ``period``
    (>= 1); with is_censored = True, for customers still active after ``period`` periods.
    Needs at least one customer who left and one period observed; otherwise (or when the
    optimiser fails) the result has converged = False and NaN parameters are not used.
    """
    t = np.asarray(periods, dtype=np.float64).ravel()
    c = np.asarray(is_censored, dtype=bool).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if not (t.size == c.size == w.size):
        raise ValueError("periods, is_censored and weights must have the same length")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    keep = w > 0
    t, c, w = t[keep], c[keep], w[keep]
    if np.any(t != np.floor(t)) or np.any(t < 1):
        raise ValueError("periods must be whole numbers >= 1")
    total = float(np.sum(w))
    nan = float("nan")
    if total == 0 or not np.any(~c):
        return SBGParams(nan, nan, nan, False, total, "no customer left in an observed period")
    if not np.any(c) and np.all(t == 1):
        return SBGParams(nan, nan, nan, False, total, "everyone left in period 1: degenerate")
    result = minimize_log_params(lambda p: _neg_ll_and_grad(p, t, c, w), _STARTS)
    alpha, beta = (float(v) for v in np.exp(result.log_params))
    if alpha + beta > GEOMETRIC_LIMIT_CONCENTRATION:
        return _geometric_limit(t, c, w)
    return SBGParams(
        alpha=alpha,
        beta=beta,
        log_likelihood=-result.mean_nll * total,
        converged=result.converged,
        n_customers=total,
        message=result.message,
    )


def _geometric_limit(t: FloatArray, censored: NDArray[np.bool_], w: FloatArray) -> SBGParams:
    """Everyone shares one theta: its MLE is customers who left / customer-periods at risk.

    A customer who left in period t was at risk t periods, one still there after t periods
    was at risk t periods: log L = D ln(theta) + (E - D) ln(1 - theta), theta = D / E.
    """
    left = float(np.sum(w[~censored]))
    exposure = float(np.sum(w * t))
    theta = left / exposure
    ll = left * math.log(theta) + (exposure - left) * math.log1p(-theta) if theta < 1 else 0.0
    return SBGParams(
        alpha=theta * GEOMETRIC_CONCENTRATION,
        beta=(1.0 - theta) * GEOMETRIC_CONCENTRATION,
        log_likelihood=ll,
        converged=True,
        n_customers=float(np.sum(w)),
        message=f"geometric limit: no heterogeneity in the data, theta = {theta:.6f}",
        is_geometric_limit=True,
    )


def fit_sbg_survival_curve(survivors: Sequence[float]) -> SBGParams:
    """sBG fit of one cohort's survivor counts s_0, ..., s_K (paper section 3)."""
    return fit_sbg(*survival_curve_observations(survivors))


def expected_survivors(params: SBGParams, cohort_size: float, horizon: int) -> FloatArray:
    """cohort_size x S(t) for t = 0..horizon (the paper's projection, Figure 3)."""
    if not math.isfinite(params.alpha):
        return np.full(horizon + 1, np.nan)
    return cohort_size * survival(params.alpha, params.beta, np.arange(horizon + 1))
