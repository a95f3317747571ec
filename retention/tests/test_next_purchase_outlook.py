"""Next-purchase outlook (retention.clv.outlook) against a Monte Carlo simulation of BG/NBD.

The simulation does not use the closed forms: it draws lambda ~ Gamma(r, alpha) and
p ~ Beta(a, b) per customer, lets purchases arrive as a Poisson process with a dropout coin
after each repeat purchase, keeps the customers whose history matches (x, t_x, T), and counts
how many of them buy within t days after T.
"""

from __future__ import annotations

import numpy as np
import pytest

from retention.clv.bgnbd import BGNBDParams, probability_alive
from retention.clv.outlook import (
    median_days_to_next_purchase,
    probability_purchase_within,
    probability_purchase_within_if_alive,
)

PARAMS = BGNBDParams(
    r=0.6, alpha=40.0, a=0.7, b=2.5, log_likelihood=0.0, converged=True, n_customers=0.0
)


def _simulate(
    params: BGNBDParams, x: int, t_x: float, T: float, n: int, seed: int, bin_days: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Customers whose first x repeat purchases match (x, t_x +- bin/2, T).

    Returns (alive_after_T, next_purchase_time - T) of the kept customers (inf when dead).
    Only the first x + 1 arrivals matter: x repeat purchases by T (the x-th near t_x), no
    dropout after the first x - 1, and then either dropout after the x-th or arrival x + 1
    after T.
    """
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    gaps = rng.exponential(1.0, (n, x + 1)) / lam[:, None]
    arrivals = np.cumsum(gaps, axis=1)
    dies = rng.random((n, max(x, 1))) < p[:, None]
    if x == 0:
        keep = arrivals[:, 0] > T
        alive = np.ones(n, dtype=bool)
    else:
        last = arrivals[:, x - 1]
        survived_earlier = ~dies[:, : x - 1].any(axis=1)
        alive = ~dies[:, x - 1]
        keep = (
            (np.abs(last - t_x) <= bin_days / 2)
            & survived_earlier
            & (~alive | (arrivals[:, x] > T))
        )
    nxt = np.where(alive, arrivals[:, x] - T, np.inf)
    return alive[keep], nxt[keep]


@pytest.mark.parametrize(
    ("x", "t_x", "T"),
    [(0, 0.0, 60.0), (1, 50.0, 120.0), (3, 100.0, 200.0), (2, 20.0, 300.0)],
)
def test_probabilities_match_monte_carlo(x: int, t_x: float, T: float) -> None:
    alive, nxt = _simulate(PARAMS, x, t_x, T, n=3_000_000, seed=x + 1)
    n = alive.size
    assert n > 2_000, n  # enough matching histories for the tolerance below
    # P(alive) of the matching histories (BG/NBD eq. 11, tested elsewhere) as a sanity check
    assert alive.mean() == pytest.approx(
        float(probability_alive(PARAMS, x, t_x, T)), abs=4 * np.sqrt(0.25 / n) + 0.01
    )
    for t in (30.0, 90.0, 365.0):
        simulated = float(np.mean(nxt <= t))
        closed = float(probability_purchase_within(PARAMS, t, x, t_x, T))
        assert simulated == pytest.approx(closed, abs=4 * np.sqrt(0.25 / n) + 0.01), t
        if_alive = float(np.mean(nxt[alive] <= t))
        assert if_alive == pytest.approx(
            float(probability_purchase_within_if_alive(PARAMS, t, x, T)),
            abs=4 * np.sqrt(0.25 / alive.sum()) + 0.01,
        )


@pytest.mark.parametrize(("x", "T"), [(0, 60.0), (2, 200.0), (5, 400.0)])
def test_median_matches_monte_carlo(x: int, T: float) -> None:
    # given alive, the waiting time depends on x and T only: condition on a wide t_x bin
    alive, nxt = _simulate(PARAMS, x, T / 2, T, n=2_000_000, seed=10 + x, bin_days=T)
    waits = nxt[alive]
    assert waits.size > 5_000
    median = float(median_days_to_next_purchase(PARAMS, x, T))
    # the closed-form median splits the simulated waiting times in half
    assert np.mean(waits <= median) == pytest.approx(0.5, abs=0.02)


def test_outlook_limits() -> None:
    assert float(probability_purchase_within_if_alive(PARAMS, 0.0, 2, 100.0)) == 0.0
    far = float(probability_purchase_within(PARAMS, 1e9, 2, 50.0, 100.0))
    assert far == pytest.approx(float(probability_alive(PARAMS, 2, 50.0, 100.0)), rel=1e-6)
    with pytest.raises(ValueError):
        probability_purchase_within_if_alive(PARAMS, -1.0, 0, 10.0)
