"""Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value").

A customer's transaction values are Gamma(p, nu); nu varies across customers as Gamma(q, gamma).
For a repeat buyer with x repeat transactions of mean value m (the lifetimes convention: m is
the mean of the repeat purchases), the log-likelihood is (F&H 2013, eq. 1a)

    LL = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln m + px ln x - (px+q) ln(gamma+mx)

Only rows with x >= 1 and m > 0 enter the fit: the model is defined for positive spend, so rows
with zero (or negative, after refunds) mean spend are excluded and counted in the message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from retention._optim import dot as _dot
from retention._optim import minimize_log_params

FloatArray = NDArray[np.float64]

_STARTS = ((1.0, 1.0, 1.0), (5.0, 3.0, 2.0), (0.5, 2.0, 0.5), (10.0, 10.0, 10.0))


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (gamma in the currency of the inputs)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    converged: bool
    n_customers: float
    message: str = ""


def _neg_ll_and_grad(
    log_params: FloatArray, x: FloatArray, m: FloatArray, w: FloatArray
) -> tuple[float, FloatArray]:
    p, q, g = np.exp(log_params)
    W = w.sum()
    px = p * x
    log_m = np.log(m)
    log_x = np.log(x)
    log_gmx = np.log(g + m * x)
    ll_rows = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * log_m
        + px * log_x
        - (px + q) * log_gmx
    )
    dg_pq = special.digamma(px + q)
    d_p = x * (dg_pq - special.digamma(px) + log_m + log_x - log_gmx)
    d_q = dg_pq - special.digamma(q) + np.log(g) - log_gmx
    d_g = q / g - (px + q) / (g + m * x)
    grad = np.array([p * _dot(w, d_p), q * _dot(w, d_q), g * _dot(w, d_g)])
    return -_dot(w, ll_rows) / W, -grad / W


def _select(
    x: ArrayLike, m: ArrayLike, weights: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    xa = np.asarray(x, dtype=np.float64).ravel()
    ma = np.asarray(m, dtype=np.float64).ravel()
    wa = np.ones_like(xa) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if not (xa.size == ma.size == wa.size):
        raise ValueError("x, m and weights must have the same length")
    if not np.all(np.isfinite(np.concatenate([xa, ma, wa]))) or np.any(wa < 0):
        raise ValueError("x, m must be finite and weights finite and non-negative")
    repeat = (xa >= 1) & (wa > 0)
    keep = repeat & (ma > 0)
    n_nonpositive = int(np.count_nonzero(repeat & ~keep))
    return xa[keep], ma[keep], wa[keep], n_nonpositive


def fit_gamma_gamma(
    x: ArrayLike, m: ArrayLike, weights: ArrayLike | None = None
) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood on weighted rows (x repeat purchases, mean spend m).

    Rows with x = 0 or m <= 0 are ignored (see module docstring). Spend is rescaled internally
    (mean m -> 1). ``converged`` is False when no row is usable, the optimizer fails from every
    start, the result is non-finite or the gradient is large. Parameters are NaN only when
    there is nothing to fit.
    """
    xa, ma, wa, n_nonpos = _select(x, m, weights)
    n = float(wa.sum())
    nan = float("nan")
    excluded = f"; {n_nonpos} repeat-buyer rows with m <= 0 excluded" if n_nonpos else ""
    if xa.size == 0:
        return GammaGammaParams(nan, nan, nan, nan, False, 0.0, "no repeat buyers" + excluded)
    scale = 1.0 / float(np.average(ma, weights=wa))
    ms = ma * scale
    res = minimize_log_params(
        lambda th: _neg_ll_and_grad(th, xa, ms, wa), [np.log(s) for s in _STARTS]
    )
    p, q, g_s = (float(v) for v in np.exp(res.log_params))
    gamma = g_s / scale
    # Density of m in the input currency: Jacobian of m -> m*scale adds ln(scale) per row.
    ll = -res.mean_nll * n + float(np.log(scale)) * n
    converged = res.converged and bool(np.all(np.isfinite([p, q, gamma, ll])))
    return GammaGammaParams(p, q, gamma, ll, converged, n, res.message + excluded)


def conditional_expected_spend(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[spend per purchase | x, m] = (p (gamma + x m)) / (p x + q - 1)  (F&H 2013, eq. 5).

    A weighted average of the population mean p*gamma/(q-1) and the customer's own mean m.
    For x = 0 it is the population mean (m ignored), which needs q > 1: with q <= 1 the
    result is NaN for those rows (the population mean is infinite). Negative m (refunds) is
    treated as 0.
    """
    p, q, g = params.p, params.q, params.gamma
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    ma = np.where(xa > 0, np.maximum(ma, 0.0), 0.0)
    denom = p * xa + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = p * (g + xa * ma) / denom
    return np.where(denom > 0, out, np.nan)
