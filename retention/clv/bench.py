"""Benchmark: our weighted fit vs lifetimes' BetaGeoFitter + GammaGammaFitter (not a test).

Run: ``python -m retention.clv.bench 1000000``. lifetimes is only needed here.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from retention.clv.bgnbd import fit_bgnbd
from retention.clv.gamma_gamma import fit_gamma_gamma
from retention.clv.simulate import collapse, simulate_customers


def benchmark_against_lifetimes(
    n_customers: int, seed: int = 0, run_lifetimes: bool = True
) -> dict[str, float]:
    """Simulate ``n_customers`` (integer days, like the warehouse) and time both fitters.

    Ours is timed including the collapse to unique (frequency, recency, T) rows for BG/NBD and
    unique (frequency, monetary_value) rows of repeat buyers for Gamma-Gamma. lifetimes gets
    the raw per-customer data, as an analyst would pass it. Returns seconds and row counts.
    """
    df = simulate_customers(n_customers, integer_days=True, seed=seed)

    start = time.perf_counter()
    bg_rows = collapse(df, ["frequency", "recency", "T"])
    repeat = df.loc[df["frequency"] > 0]
    gg_rows = collapse(repeat, ["frequency", "monetary_value"])
    bg = fit_bgnbd(bg_rows["frequency"], bg_rows["recency"], bg_rows["T"], bg_rows["n_customers"])
    gg = fit_gamma_gamma(gg_rows["frequency"], gg_rows["monetary_value"], gg_rows["n_customers"])
    ours = time.perf_counter() - start
    result = {
        "n_customers": float(n_customers),
        "bgnbd_unique_rows": float(len(bg_rows)),
        "gg_unique_rows": float(len(gg_rows)),
        "ours_seconds": ours,
        "ours_converged": float(bg.converged and gg.converged),
        "r": bg.r,
        "alpha": bg.alpha,
        "a": bg.a,
        "b": bg.b,
        "p": gg.p,
        "q": gg.q,
        "gamma": gg.gamma,
        "lifetimes_seconds": float("nan"),
    }
    if run_lifetimes:
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        start = time.perf_counter()
        bgf = BetaGeoFitter().fit(df["frequency"], df["recency"], df["T"])
        ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        result["lifetimes_seconds"] = time.perf_counter() - start
        lt = np.r_[bgf.params_.to_numpy(), ggf.params_.to_numpy()]
        ours_p = np.array([bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.gamma])
        result["max_rel_param_diff"] = float(np.max(np.abs(ours_p / lt - 1.0)))
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    for key, value in benchmark_against_lifetimes(n).items():
        print(f"{key:>20}: {value:.6g}")
