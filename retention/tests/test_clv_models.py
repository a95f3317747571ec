"""CLV models: parameter recovery, numerics of the predictions and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from retention.clv import (
    MIN_REPEAT_BUYERS,
    BGNBDParams,
    GammaGammaParams,
    conditional_expected_spend,
    expected_purchases,
    expected_purchases_by_period,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_segments,
    predicted_clv,
    probability_alive,
)
from retention.clv import bgnbd as bgnbd_module
from retention.clv import fit as fit_module
from retention.clv import gamma_gamma as gg_module
from retention.clv.simulate import collapse, simulate_customers

TRUE_BG = {"r": 0.5, "alpha": 20.0, "a": 0.8, "b": 3.0}
TRUE_GG = {"p": 6.0, "q": 4.0, "gamma": 20.0}


def _log_se(fun, log_params: np.ndarray, n: float) -> np.ndarray:
    """Standard errors of the log-parameters from a finite-difference Hessian of the mean NLL."""
    k = log_params.size
    H = np.zeros((k, k))
    h = 1e-5
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[i] = (fun(log_params + e)[1] - fun(log_params - e)[1]) / (2 * h)
    H = (H + H.T) / 2 * n
    return np.sqrt(np.diag(np.linalg.inv(H)))


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    return simulate_customers(20_000, **TRUE_BG, **TRUE_GG, seed=7)


def test_bgnbd_parameter_recovery(simulated: pd.DataFrame) -> None:
    df = simulated
    fit = fit_bgnbd(df["frequency"], df["recency"], df["T"])
    assert fit.converged, fit.message
    x, t_x, T, w = bgnbd_module.validate_rfm(df["frequency"], df["recency"], df["T"])
    data = bgnbd_module._prepare(x, t_x, T, w)
    est = np.log([fit.r, fit.alpha, fit.a, fit.b])
    se = _log_se(lambda th: bgnbd_module._neg_ll_and_grad(th, data), est, len(df))
    for i, name in enumerate(("r", "alpha", "a", "b")):
        z = (est[i] - np.log(TRUE_BG[name])) / se[i]
        assert abs(z) < 3.0, (name, getattr(fit, name), se[i], z)
        assert getattr(fit, name) == pytest.approx(TRUE_BG[name], rel=0.15)


def test_gamma_gamma_parameter_recovery(simulated: pd.DataFrame) -> None:
    rep = simulated.loc[simulated["frequency"] > 0]
    fit = fit_gamma_gamma(rep["frequency"], rep["monetary_value"])
    assert fit.converged, fit.message
    x, m = rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float)
    est = np.log([fit.p, fit.q, fit.gamma])
    data = gg_module._prepare(x, m, np.ones_like(x))
    se = _log_se(lambda th: gg_module._neg_ll_and_grad(th, data), est, len(x))
    for i, name in enumerate(("p", "q", "gamma")):
        z = (est[i] - np.log(TRUE_GG[name])) / se[i]
        assert abs(z) < 3.0, (name, getattr(fit, name), se[i], z)
        assert getattr(fit, name) == pytest.approx(TRUE_GG[name], rel=0.15)


def test_gamma_gamma_likelihood_is_the_per_row_formula() -> None:
    """The fit's likelihood (gamma functions per distinct x, ln m and ln x terms summed once)
    equals F&H 2013 eq. 1a written per row, and its gradient the likelihood's finite
    differences."""
    rng = np.random.default_rng(8)
    x = rng.integers(1, 30, 4_000).astype(float)
    m = rng.gamma(2.0, 1.5, 4_000)
    w = rng.integers(1, 4, 4_000).astype(float)
    data = gg_module._prepare(x, m, w)
    for p, q, g in ((6.2, 3.7, 15.0), (0.4, 1.2, 0.3), (25.0, 9.0, 2.5)):
        per_row = (
            special.gammaln(p * x + q)
            - special.gammaln(p * x)
            - special.gammaln(q)
            + q * np.log(g)
            + (p * x - 1.0) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(g + m * x)
        )
        theta = np.log([p, q, g])
        value, grad = gg_module._neg_ll_and_grad(theta, data)
        assert value == pytest.approx(-np.sum(w * per_row) / w.sum(), rel=1e-12)
        step = 1e-6
        for i in range(3):
            up, down = theta.copy(), theta.copy()
            up[i] += step
            down[i] -= step
            numeric = (
                gg_module._neg_ll_and_grad(up, data)[0] - gg_module._neg_ll_and_grad(down, data)[0]
            ) / (2 * step)
            assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def _reference_expectation(p: BGNBDParams, t: float, x: int, t_x: float, T: float) -> float:
    """FHL eq. 10 with 2F1(r+x, b+x; a+b+x-1; z) summed directly: every term is positive, so
    the sum (in log space, up to 4 million terms) is accurate; independent of the Euler series
    used by the module."""
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    A, B, C = r + x, b + x, a + b + x - 1
    z = t / (alpha + T + t)
    k = np.arange(4_000_000, dtype=float)
    log_terms = (
        special.gammaln(A + k)
        - special.gammaln(A)
        + special.gammaln(B + k)
        - special.gammaln(B)
        - special.gammaln(C + k)
        + special.gammaln(C)
        - special.gammaln(k + 1)
        + k * np.log(z)
    )
    assert log_terms[-1] < log_terms.max() - 60  # converged
    log_h = special.logsumexp(log_terms) + A * np.log1p(-z)
    numer = C / (a - 1) * -np.expm1(log_h)
    return float(numer * probability_alive(p, x, t_x, T))


@pytest.mark.parametrize(
    ("params", "x", "t_x", "T", "t"),
    [
        ((0.5, 20.0, 0.8, 3.0), 0, 0.0, 0.0, 1096.0),  # bought today, 3-year horizon
        ((0.5, 20.0, 0.8, 3.0), 40, 300.0, 310.0, 1096.0),  # frequent buyer
        ((0.5, 20.0, 0.8, 3.0), 150, 690.0, 700.0, 365.0),
        ((2.0, 10.0, 1.0 + 1e-6, 8.0), 12, 100.0, 200.0, 730.0),  # a near 1
        ((0.3, 5.0, 3.0, 20.0), 90, 500.0, 520.0, 1500.0),
        ((0.3, 2.0, 0.4, 6.0), 2, 5.0, 10.0, 3000.0),  # z close to 1
    ],
)
def test_expected_purchases_against_quadrature(params, x, t_x, T, t) -> None:
    p = BGNBDParams(*params, log_likelihood=0.0, converged=True, n_customers=1)
    ours = float(expected_purchases(p, t, x, t_x, T))
    assert np.isfinite(ours)
    assert ours == pytest.approx(_reference_expectation(p, t, x, t_x, T), rel=1e-7)


def test_t_zero_customer_is_finite() -> None:
    p = BGNBDParams(0.5, 20.0, 0.8, 3.0, 0.0, True, 1)
    g = GammaGammaParams(6.0, 4.0, 20.0, 0.0, True, 1)
    assert probability_alive(p, 0, 0.0, 0.0)[()] == 1.0
    by_month = expected_purchases_by_period(p, [0], [0.0], [0.0], 30.4375, 24)
    assert np.all(np.isfinite(by_month)) and np.all(by_month > 0)
    assert np.all(np.diff(by_month[0]) < 0)  # no new info: expected purchases decline
    clv = predicted_clv(p, g, [0], [0.0], [0.0], [0.0], 0.3, 24, 0.1)
    assert np.all(np.isfinite(clv)) and clv[0] > 0
    assert expected_purchases(p, 0.0, 3, 10.0, 20.0) == 0.0


def test_predicted_clv_formula() -> None:
    p = BGNBDParams(0.5, 20.0, 0.8, 3.0, 0.0, True, 1)
    g = GammaGammaParams(6.0, 4.0, 20.0, 0.0, True, 1)
    x, t_x, T, m = (
        np.array([0, 3, 10]),
        np.array([0.0, 50.0, 200.0]),
        np.full(3, 250.0),
        [
            0.0,
            35.0,
            12.0,
        ],
    )
    H, annual, margin = 12, 0.1, 0.25
    monthly = 1.1 ** (1 / 12) - 1
    cum = [expected_purchases(p, k * 30.4375, x, t_x, T) for k in range(H + 1)]
    expected = (
        sum((cum[k] - cum[k - 1]) / (1 + monthly) ** k for k in range(1, H + 1))
        * conditional_expected_spend(g, x, m)
        * margin
    )
    np.testing.assert_allclose(predicted_clv(p, g, x, t_x, T, m, margin, H, annual), expected)
    # undiscounted CLV = total expected purchases x spend x margin
    np.testing.assert_allclose(
        predicted_clv(p, g, x, t_x, T, m, margin, H, 0.0),
        cum[H] * conditional_expected_spend(g, x, m) * margin,
    )
    assert conditional_expected_spend(g, 0, 999.0) == pytest.approx(6 * 20 / 3)


def test_zero_spend_rows_are_excluded_from_gamma_gamma() -> None:
    df = simulate_customers(3_000, seed=3)
    rep = df.loc[df["frequency"] > 0]
    clean = fit_gamma_gamma(rep["frequency"], rep["monetary_value"])
    dirty_x = np.r_[rep["frequency"], [2, 5, 0]]
    dirty_m = np.r_[rep["monetary_value"], [0.0, -3.0, 0.0]]
    dirty = fit_gamma_gamma(dirty_x, dirty_m)
    assert dirty.converged and dirty.n_customers == clean.n_customers
    assert dirty.p == pytest.approx(clean.p, rel=1e-9)
    assert "2 repeat-buyer rows with m <= 0 excluded" in dirty.message


def test_no_repeat_buyers_is_flagged_not_nan() -> None:
    bg = fit_bgnbd([0, 0, 0], [0.0, 0.0, 0.0], [10.0, 20.0, 5.0])
    gg = fit_gamma_gamma([0, 0, 0], [0.0, 0.0, 0.0])
    assert not bg.converged and not gg.converged
    assert "no repeat buyers" in bg.message and "no repeat buyers" in gg.message
    assert not fit_bgnbd([0], [0.0], [0.0]).converged  # everyone bought today


def _segment_rows(n: int, segment: str, seed: int, **kw: float) -> pd.DataFrame:
    df = simulate_customers(n, integer_days=True, seed=seed, **kw)
    rows = collapse(df)
    rows.insert(0, "segment", segment)
    return rows


def test_fit_segments_with_pooled_fallback() -> None:
    big_a = _segment_rows(6_000, "fashion", 1)
    big_b = _segment_rows(6_000, "grocery", 2, r=1.5, alpha=15.0)
    small = _segment_rows(300, "tiny", 3).loc[lambda d: d["frequency"] <= 1]
    small = small.loc[(small["frequency"] == 0) | (small.index < small.index[5])]  # few repeat
    no_repeat = pd.DataFrame(
        {
            "segment": "one_timers",
            "frequency": [0, 0],
            "recency": [0.0, 0.0],
            "T": [30.0, 0.0],
            "monetary_value": [0.0, 0.0],
            "n_customers": [400, 7],
        }
    )
    summary = pd.concat([big_a, big_b, small, no_repeat], ignore_index=True)
    out = fit_segments(summary)
    assert list(out["industry_segment"]) == ["fashion", "grocery", "one_timers", "tiny"]
    assert out["converged"].all()
    numeric = out.drop(columns=["industry_segment", "parameter_source", "converged"])
    assert np.isfinite(numeric.to_numpy(float)).all()
    src = dict(zip(out["industry_segment"], out["parameter_source"], strict=True))
    assert src == {
        "fashion": "segment",
        "grocery": "segment",
        "one_timers": "pooled",
        "tiny": "pooled",
    }
    pooled = out.loc[out["parameter_source"] == "pooled"]
    assert pooled["r"].nunique() == 1
    assert pooled["customers_fitted"].iloc[0] == summary["n_customers"].sum()
    seg = out.set_index("industry_segment")
    assert seg.loc["grocery", "r"] == pytest.approx(1.5, rel=0.2)
    assert seg.loc["fashion", "repeat_buyers_fitted"] >= MIN_REPEAT_BUYERS
    # Threshold: raising it above every segment's repeat buyers pools everything.
    all_pooled = fit_segments(summary, min_repeat_buyers=10**9)
    assert (all_pooled["parameter_source"] == "pooled").all()


def test_a_equal_one_and_far_horizon_are_finite() -> None:
    exact = BGNBDParams(2.0, 10.0, 1.0, 8.0, 0.0, True, 1)
    near = BGNBDParams(2.0, 10.0, 1.0 + 1e-7, 8.0, 0.0, True, 1)
    assert float(expected_purchases(exact, 730.0, 12, 100.0, 200.0)) == pytest.approx(
        float(expected_purchases(near, 730.0, 12, 100.0, 200.0)), rel=1e-5
    )
    # t / (alpha + T) = 1e5: the series does not converge in time, scipy's hyp2f1 takes over.
    p = BGNBDParams(0.5, 1.0, 0.8, 3.0, 0.0, True, 1)
    values = expected_purchases(p, np.array([1e4, 1e5, 1e6]), 0, 0.0, 0.0)
    assert np.all(np.isfinite(values)) and np.all(np.diff(values) > 0)


def test_pooled_fit_below_threshold_is_not_used() -> None:
    """All segments together below the threshold: parameters flagged, predictions unused."""
    small = _segment_rows(300, "tiny", 3)
    repeat = float(small.loc[small["frequency"] > 0, "n_customers"].sum())
    out = fit_segments(small, min_repeat_buyers=int(repeat) + 1)
    assert list(out["parameter_source"]) == ["pooled"]
    assert not out["converged"].iloc[0]
    ok = fit_segments(small, min_repeat_buyers=int(repeat))
    assert list(ok["parameter_source"]) == ["segment"] and ok["converged"].iloc[0]


def test_unique_pairs_are_numpys_unique_rows() -> None:
    rng = np.random.default_rng(3)
    first = rng.integers(0, 40, 50_000).astype(np.float64)
    second = rng.integers(0, 700, 50_000).astype(np.float64) / 4.0
    pairs, inverse = bgnbd_module._unique_pairs(first, second)
    expected, expected_inverse = np.unique(
        np.stack([first, second], axis=1), axis=0, return_inverse=True
    )
    np.testing.assert_array_equal(pairs, expected)
    np.testing.assert_array_equal(inverse, expected_inverse.ravel())


def test_fit_rows_are_sorted_as_their_text_would_be() -> None:
    """The fit's fixed row order sorts segments by name (missing last) through integer
    codes: the same order as a sort of the text, whatever order the rows arrive in."""
    rng = np.random.default_rng(5)
    segments = np.array(["pets", "beauty", None, "Zoo", "électronique", "apparel"], dtype=object)
    rows = pd.DataFrame(
        {
            "segment": segments[rng.integers(0, len(segments), 5_000)],
            "frequency": rng.integers(0, 5, 5_000),
            "recency": rng.integers(0, 50, 5_000).astype(float),
            "T": rng.integers(50, 60, 5_000).astype(float),
            "n_customers": rng.integers(1, 9, 5_000),
        }
    )
    ordered = fit_module._in_fixed_order(rows)
    by_text = rows.sort_values(list(rows.columns), kind="stable", ignore_index=True)
    names = ordered["segment"].astype(object)
    pd.testing.assert_frame_equal(ordered.assign(segment=names.where(names.notna(), None)), by_text)


def test_fit_row_order_is_lexsorts() -> None:
    """The fit's sort (one argsort of a combined rank when the ranges allow) orders rows as
    np.lexsort does: integer, float and missing values, ties kept in input order, and keys
    too wide to combine."""
    rng = np.random.default_rng(9)
    n = 20_000
    small = rng.integers(-3, 4, n)
    days = rng.integers(0, 50, n).astype(np.int32)
    money = rng.normal(size=n).round(1)
    money[rng.random(n) < 0.05] = np.nan
    wide = rng.integers(0, 2**40, n)
    for keys in ([small, days, money], [money, small], [small, wide, wide], [days[:0]]):
        np.testing.assert_array_equal(fit_module._sort_order(keys), np.lexsort(keys[::-1]))


def test_scored_rows_get_their_own_segments_parameters() -> None:
    """score_rows on interleaved segments: each row scored with its segment's parameters
    (as a call on that row alone gives), a segment without usable parameters and a row
    without a segment get nulls, and rows keep their segment and summary columns."""
    from retention.clv.outlook import probability_purchase_within
    from retention.clv.score import score_rows

    params = {
        "fashion": (0.8, 40.0, 0.6, 3.0),
        "grocery": (2.5, 12.0, 1.4, 6.0),
        "failed": (1.0, 1.0, 1.0, 1.0),
    }
    parameters = pd.DataFrame(
        [
            {"industry_segment": s, "r": r, "alpha": al, "a": a, "b": b, "converged": s != "failed"}
            for s, (r, al, a, b) in params.items()
        ]
    )
    rng = np.random.default_rng(4)
    n = 600
    tenure = rng.integers(1, 400, n)
    recency = (tenure * rng.random(n)).astype(int)
    frequency = np.where(recency > 0, rng.integers(1, 12, n), 0)
    names = np.array(["grocery", "fashion", "failed", None], dtype=object)
    rows = pd.DataFrame(
        {
            "industry_segment": names[rng.integers(0, 4, n)],
            "frequency": frequency,
            "recency_days": recency,
            "tenure_days": tenure,
        }
    )
    scored = score_rows(rows, parameters, 12, 0.1, holdout_days=30.0)
    keys = list(rows.columns)
    expected_keys = rows.dropna(subset=["industry_segment"]).sort_values(keys)
    pd.testing.assert_frame_equal(
        scored[keys].sort_values(keys).reset_index(drop=True), expected_keys.reset_index(drop=True)
    )
    for segment, part in scored.groupby("industry_segment"):
        x, t_x, T = (part[c].to_numpy(float) for c in keys[1:])
        if segment == "failed":
            assert part.drop(columns=keys).isna().all().all()
            continue
        p = BGNBDParams(*params[segment], 0.0, True, 1)
        np.testing.assert_allclose(part["probability_alive"], probability_alive(p, x, t_x, T))
        np.testing.assert_allclose(
            part["holdout_predicted_purchases"], expected_purchases(p, 30.0, x, t_x, T)
        )
        np.testing.assert_allclose(
            part["probability_purchase_90d"], probability_purchase_within(p, 90.0, x, t_x, T)
        )
