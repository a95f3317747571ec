"""Simulate customer summaries from the BG/NBD and Gamma-Gamma generative models (for tests
and benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_customers(
    n: int,
    r: float = 0.5,
    alpha: float = 20.0,
    a: float = 0.8,
    b: float = 3.0,
    p: float = 6.0,
    q: float = 4.0,
    gamma: float = 20.0,
    T_min: float = 100.0,
    T_max: float = 700.0,
    integer_days: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """Customers with columns frequency, recency, T, monetary_value.

    lambda ~ Gamma(r, rate alpha), dropout p_i ~ Beta(a, b); purchases follow a Poisson process
    and after each repeat purchase the customer leaves with probability p_i. So
    x = min(N(T), J) with N(T) ~ Poisson(lambda T), J ~ Geometric(p_i) on {1, 2, ...}, and the
    x-th of N(T) uniform arrival times is T * Beta(x, N - x + 1). Spend per purchase is
    Gamma(p, rate nu), nu ~ Gamma(q, rate gamma); the mean of x purchases is
    Gamma(p x, rate x nu). ``integer_days`` rounds T and recency to whole days, like the
    warehouse summary (a slight departure from the continuous-time model).
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(T_min, T_max, n)
    if integer_days:
        T = np.round(T)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    N = rng.poisson(lam * T)
    J = rng.geometric(np.clip(drop, 1e-300, 1.0))
    x = np.minimum(N, J)
    pos = x > 0
    recency = np.zeros(n)
    recency[pos] = T[pos] * rng.beta(x[pos], N[pos] - x[pos] + 1)
    if integer_days:
        recency = np.minimum(np.round(recency), T)
        recency[pos] = np.maximum(recency[pos], 1.0)
    nu = rng.gamma(q, 1.0 / gamma, n)
    monetary = np.zeros(n)
    monetary[pos] = rng.gamma(p * x[pos], 1.0 / (x[pos] * nu[pos]))
    if integer_days:
        monetary = np.round(monetary, 2)
    return pd.DataFrame({"frequency": x, "recency": recency, "T": T, "monetary_value": monetary})


def collapse(customers: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Unique rows of ``columns`` (default frequency, recency, T, monetary_value) with counts."""
    cols = columns or ["frequency", "recency", "T", "monetary_value"]
    return customers.groupby(cols, sort=False).size().rename("n_customers").reset_index()
