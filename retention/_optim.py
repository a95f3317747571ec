"""Shared maximum-likelihood driver: minimise a mean negative log-likelihood in log-parameters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

#: Box on the (time- or money-scaled) log-parameters; hitting it means a degenerate fit.
LOG_BOUND = 15.0
#: Gradient norm (of the per-customer mean NLL, in log-parameters) above which a fit is rejected.
GRAD_TOL = 1e-3
_HUGE = 1e300


@dataclass(frozen=True)
class OptimResult:
    """Outcome of :func:`minimize_log_params`."""

    log_params: FloatArray
    mean_nll: float
    grad_norm: float
    converged: bool
    message: str


def _safe(fun: Objective) -> Objective:
    def wrapped(theta: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            f, g = fun(theta)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return _HUGE, np.zeros_like(theta)
        return f, g

    return wrapped


def _run(fun: Objective, start: FloatArray) -> OptimResult:
    bounds = [(-LOG_BOUND, LOG_BOUND)] * start.size
    res = optimize.minimize(
        _safe(fun),
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    with np.errstate(all="ignore"):
        f, g = fun(theta)
    gnorm = float(np.linalg.norm(g)) if np.all(np.isfinite(g)) else float("inf")
    problems: list[str] = []
    # L-BFGS-B reports ABNORMAL when the line search cannot improve at machine precision;
    # that is acceptable if the gradient check below passes.
    if not res.success and "ABNORMAL" not in str(res.message):
        problems.append(f"optimizer: {res.message}")
    if not (np.isfinite(f) and f < _HUGE and np.all(np.isfinite(theta))):
        problems.append("non-finite likelihood or parameters")
    if not gnorm <= GRAD_TOL:
        problems.append(f"gradient norm {gnorm:.2e} > {GRAD_TOL:.0e}")
    if np.any(np.abs(theta) >= LOG_BOUND - 1e-6):
        problems.append("a parameter hit the log-parameter bound (degenerate data)")
    ok = not problems
    return OptimResult(
        log_params=theta,
        mean_nll=float(f),
        grad_norm=gnorm,
        converged=ok,
        message="ok" if ok else "; ".join(problems),
    )


def minimize_log_params(fun: Objective, starts: Sequence[Sequence[float]]) -> OptimResult:
    """Minimise ``fun`` (returns value and gradient) from each start until one converges.

    Returns the first converged result, or the lowest-objective failed one (``converged=False``).
    """
    best: OptimResult | None = None
    for start in starts:
        result = _run(fun, np.asarray(start, dtype=np.float64))
        if result.converged:
            return result
        if best is None or (np.isfinite(result.mean_nll) and result.mean_nll < best.mean_nll):
            best = result
    assert best is not None, "at least one starting point is required"
    return best


def dot(u: FloatArray, v: FloatArray) -> float:
    """sum(u * v) without BLAS: multithreaded BLAS dot products on these short vectors were
    ~30x slower than the whole likelihood under thread contention (measured on 2 cores)."""
    return float(np.sum(u * v))


def weight_per_value(values: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The distinct values and the total weight of each: terms of a likelihood that depend
    on one value only (e.g. gamma functions of the frequency) are evaluated once per value
    and summed with these weights."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, np.bincount(inverse, weights=w, minlength=distinct.size)
