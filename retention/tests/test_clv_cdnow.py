"""CLV models on CDNOW: published estimates and agreement with lifetimes."""

from __future__ import annotations

import lifetimes
import numpy as np
import pandas as pd
import pytest
from lifetimes import datasets

from retention.clv import (
    conditional_expected_spend,
    expected_purchases,
    expected_purchases_by_period,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
)
from retention.clv.simulate import collapse, simulate_customers

# Fader, Hardie & Lee (2005), CDNOW 1/10th sample, weeks; Fader & Hardie (2013) Gamma-Gamma.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return datasets.load_cdnow_summary()


@pytest.fixture(scope="module")
def cdnow_spend() -> pd.DataFrame:
    df = datasets.load_cdnow_summary_data_with_monetary_value()
    return df.loc[df["frequency"] > 0]


def test_bgnbd_matches_published(cdnow: pd.DataFrame) -> None:
    fit = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert fit.converged, fit.message
    assert fit.n_customers == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert getattr(fit, name) == pytest.approx(published, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # FHL 2005, table 1


def test_bgnbd_time_unit(cdnow: pd.DataFrame) -> None:
    weeks = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    days = fit_bgnbd(cdnow["frequency"], cdnow["recency"] * 7, cdnow["T"] * 7)
    assert days.converged
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-4)
    for name in ("r", "a", "b"):
        assert getattr(days, name) == pytest.approx(getattr(weeks, name), rel=1e-4)
    # Same customers, same model: P(alive) does not depend on the unit.
    np.testing.assert_allclose(
        probability_alive(days, cdnow["frequency"], cdnow["recency"] * 7, cdnow["T"] * 7),
        probability_alive(weeks, cdnow["frequency"], cdnow["recency"], cdnow["T"]),
        rtol=1e-4,
    )


def test_gamma_gamma_matches_published(cdnow_spend: pd.DataFrame) -> None:
    fit = fit_gamma_gamma(cdnow_spend["frequency"], cdnow_spend["monetary_value"])
    assert fit.converged, fit.message
    assert fit.n_customers == 946
    for name, published in PUBLISHED_GG.items():
        assert getattr(fit, name) == pytest.approx(published, rel=0.01), name


def test_weighted_equals_expanded(cdnow: pd.DataFrame) -> None:
    rows = cdnow.groupby(["frequency", "recency", "T"]).size().rename("n").reset_index()
    assert len(rows) < len(cdnow)
    weighted = fit_bgnbd(rows["frequency"], rows["recency"], rows["T"], rows["n"])
    expanded = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(weighted, name) == pytest.approx(getattr(expanded, name), rel=1e-6)
    # Simulated integer-day data (as the warehouse collapses it), weights vs repeated rows.
    sim = simulate_customers(3_000, integer_days=True, T_min=20, T_max=60, seed=11)
    uniq = collapse(sim, ["frequency", "recency", "T"])
    assert len(uniq) < 0.8 * len(sim)
    a = fit_bgnbd(uniq["frequency"], uniq["recency"], uniq["T"], uniq["n_customers"])
    b = fit_bgnbd(sim["frequency"], sim["recency"], sim["T"])
    assert a.converged and b.converged
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-5)


def test_predictions_match_lifetimes(cdnow: pd.DataFrame, cdnow_spend: pd.DataFrame) -> None:
    fit = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    bgf = lifetimes.BetaGeoFitter()
    bgf.params_ = pd.Series({"r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b})
    f, rec, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        probability_alive(fit, f, rec, T), bgf.conditional_probability_alive(f, rec, T), rtol=1e-6
    )
    for t in (1.0, 4.35, 39.0, 52.0, 260.0):
        np.testing.assert_allclose(
            expected_purchases(fit, t, f, rec, T),
            bgf.conditional_expected_number_of_purchases_up_to_time(t, f, rec, T),
            rtol=1e-6,
        )
    by_period = expected_purchases_by_period(fit, f, rec, T, period_days=4.0, periods=13)
    assert by_period.shape == (len(cdnow), 13)
    assert np.all(by_period > 0)
    np.testing.assert_allclose(
        by_period.sum(axis=1),
        bgf.conditional_expected_number_of_purchases_up_to_time(52.0, f, rec, T),
        rtol=1e-9,
    )

    gg = fit_gamma_gamma(cdnow_spend["frequency"], cdnow_spend["monetary_value"])
    ggf = lifetimes.GammaGammaFitter()
    ggf.params_ = pd.Series({"p": gg.p, "q": gg.q, "v": gg.gamma})
    spend = datasets.load_cdnow_summary_data_with_monetary_value()
    np.testing.assert_allclose(
        conditional_expected_spend(gg, spend["frequency"], spend["monetary_value"]),
        ggf.conditional_expected_average_profit(spend["frequency"], spend["monetary_value"]),
        rtol=1e-12,
    )


def test_lifetimes_fit_agrees(cdnow: pd.DataFrame) -> None:
    ours = fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    theirs = lifetimes.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(theirs.params_[name], rel=1e-4)
