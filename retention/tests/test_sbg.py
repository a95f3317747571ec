"""sBG survival model: the paper's published fit, a simulation with held-out periods, and the
residual-lifetime series against its hypergeometric closed form."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from retention.survival import (
    churn_probability,
    discounted_expected_residual_lifetime,
    fit_sbg,
    fit_sbg_survival_curve,
    retention_rate,
    survival,
    survival_curve_observations,
)

# Fader & Hardie (2007), "How to Project Customer Retention", Table 1 (customers alive at the
# start of years 0..7 per 1000 acquired) and the MLEs they publish for years 1..7 (section 3).
PAPER_REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
PAPER_HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
PAPER_PARAMS = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}


@pytest.mark.parametrize(
    ("name", "survivors"), [("regular", PAPER_REGULAR), ("high_end", PAPER_HIGH_END)]
)
def test_recovers_the_papers_published_parameters(name: str, survivors: list[int]) -> None:
    fit = fit_sbg_survival_curve(survivors)
    assert fit.converged, fit.message
    alpha, beta = PAPER_PARAMS[name]
    assert fit.alpha == pytest.approx(alpha, rel=0.01)
    assert fit.beta == pytest.approx(beta, rel=0.01)
    # the fitted curve stays within 2 % of the cohort of the data (paper Figure 2)
    fitted = 1000 * survival(fit.alpha, fit.beta, np.arange(8))
    assert np.max(np.abs(fitted - np.array(survivors))) < 20


def test_formulas_are_consistent() -> None:
    alpha, beta = 0.7, 1.2
    t = np.arange(1, 30)
    s = survival(alpha, beta, np.arange(0, 30))
    assert s[0] == pytest.approx(1.0)
    # P(T = t) = S(t - 1) - S(t); r(t) = S(t) / S(t - 1)
    np.testing.assert_allclose(churn_probability(alpha, beta, t), s[:-1] - s[1:], rtol=1e-10)
    np.testing.assert_allclose(retention_rate(alpha, beta, t), s[1:] / s[:-1], rtol=1e-10)
    # S(t) as the mean over theta ~ Beta(alpha, beta) of (1 - theta)^t (numerical integral)
    theta = np.linspace(1e-9, 1 - 1e-9, 400_001)
    density = np.exp((alpha - 1) * np.log(theta) + (beta - 1) * np.log1p(-theta))
    density /= special.beta(alpha, beta)
    for k in (1, 5):
        integral = np.trapezoid(density * (1 - theta) ** k, theta)
        assert s[k] == pytest.approx(integral, rel=2e-3)


@pytest.mark.parametrize(("k", "d"), [(0, 0.1), (3, 0.1), (10, 0.05), (2, 0.5)])
def test_residual_lifetime_matches_hypergeometric_closed_form(k: int, d: float) -> None:
    alpha, beta = 0.704, 1.182
    closed = special.hyp2f1(1.0, beta + k, alpha + beta + k, 1.0 / (1.0 + d)) - 1.0
    assert discounted_expected_residual_lifetime(alpha, beta, k, d) == pytest.approx(
        closed, rel=1e-9
    )


def test_residual_lifetime_tends_to_undiscounted_mean_when_alpha_above_one() -> None:
    # sum_j S(k + j) / S(k) = (beta + k) / (alpha - 1) for alpha > 1
    alpha, beta, k = 2.5, 3.0, 4
    value = discounted_expected_residual_lifetime(alpha, beta, k, 1e-7)
    assert value == pytest.approx((beta + k) / (alpha - 1), rel=1e-3)


def test_survival_curve_observations_rows() -> None:
    periods, censored, weights = survival_curve_observations([10, 7, 4])
    assert periods.tolist() == [1, 2, 2]
    assert censored.tolist() == [False, False, True]
    assert weights.tolist() == [3, 3, 4]
    assert survival_curve_observations([10])[0].size == 0
    with pytest.raises(ValueError, match="never increase"):
        survival_curve_observations([10, 11])


def test_degenerate_inputs_do_not_converge() -> None:
    assert not fit_sbg([1], [True], [100]).converged  # nobody left
    assert not fit_sbg([], [], []).converged
    with pytest.raises(ValueError, match="whole numbers"):
        fit_sbg([0.5], [False], [1])


def _simulate_cohorts(
    alpha: float, beta: float, cohort_size: int, periods_total: int, seed: int
) -> np.ndarray:
    """Survivor counts, shape (cohorts, periods_total + 1): one cohort acquired per period.

    Each customer draws theta ~ Beta(alpha, beta) and leaves in period T ~ Geometric(theta).
    """
    rng = np.random.default_rng(seed)
    counts = np.zeros((periods_total, periods_total + 1))
    for c in range(periods_total):
        theta = rng.beta(alpha, beta, cohort_size)
        leave = rng.geometric(theta)
        counts[c] = [(leave > t).sum() for t in range(periods_total + 1)]
    return counts


def test_forecast_of_held_out_periods_on_simulated_cohorts() -> None:
    true_alpha, true_beta = 0.8, 2.5
    total, observed_until = 16, 8  # periods simulated, calendar periods observed
    counts = _simulate_cohorts(true_alpha, true_beta, 3000, total, seed=11)
    # right-censoring: cohort c (acquired at period c) is observed for observed_until - c
    # periods; cohorts acquired later are not observed yet
    periods, censored, weights = [], [], []
    for c in range(observed_until):
        p, cen, w = survival_curve_observations(counts[c, : observed_until - c + 1])
        periods.append(p)
        censored.append(cen)
        weights.append(w)
    fit = fit_sbg(np.concatenate(periods), np.concatenate(censored), np.concatenate(weights))
    assert fit.converged, fit.message
    assert fit.alpha == pytest.approx(true_alpha, rel=0.15)
    assert fit.beta == pytest.approx(true_beta, rel=0.15)
    # the oldest cohort was observed for 8 periods; its periods 9..16 are held out
    held_out = np.arange(observed_until + 1, total + 1)
    truth = counts[0, held_out] / counts[0, 0]
    forecast = survival(fit.alpha, fit.beta, held_out)
    assert np.max(np.abs(forecast - truth)) < 0.02, (forecast, truth)
    # and it is close to the true model's survival curve (what the sample scatters around)
    expected = survival(true_alpha, true_beta, held_out)
    assert np.max(np.abs(forecast - expected)) < 0.015, (forecast, expected)


def test_homogeneous_data_give_the_geometric_limit() -> None:
    # everyone has theta = 0.2: retention is constant and the MLE of alpha, beta runs off to
    # infinity at a fixed ratio; the fit reports that limit with theta = left / at-risk periods
    theta = 0.2
    survivors = [10_000 * (1 - theta) ** k for k in range(6)]
    fit = fit_sbg_survival_curve(survivors)
    assert fit.converged and fit.is_geometric_limit, fit
    assert fit.alpha / (fit.alpha + fit.beta) == pytest.approx(theta, rel=1e-9)
    np.testing.assert_allclose(
        survival(fit.alpha, fit.beta, np.arange(6)), np.array(survivors) / 10_000, rtol=1e-4
    )
    # heterogeneous data (the paper's) are not mistaken for the limit
    assert not fit_sbg_survival_curve(PAPER_REGULAR).is_geometric_limit


def test_store_likelihood_rows_match_one_curve_per_cohort() -> None:
    import pandas as pd

    from retention.survival.warehouse import store_likelihood_rows

    counts = pd.DataFrame(
        {
            "cohort_month": ["2020-01", "2020-01", "2020-01", "2020-02", "2020-02", "2020-03"],
            "survival_period": [0, 1, 2, 0, 1, 0],
            "surviving_customers": [10, 7, 4, 5, 5, 3],
        }
    )
    periods, censored, weights = store_likelihood_rows(counts)
    rows = sorted(zip(periods.tolist(), censored.tolist(), weights.tolist(), strict=True))
    expected = []
    for curve in ([10, 7, 4], [5, 5], [3]):
        p, c, w = survival_curve_observations(curve)
        expected += list(zip(p.tolist(), c.tolist(), w.tolist(), strict=True))
    assert rows == sorted(expected)
