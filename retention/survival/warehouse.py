"""sBG fits per store on the warehouse's cohort survival counts (dbt model
int_cohort_survival_fitted). Pure: DataFrame in, DataFrame out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retention.survival.sbg import (
    discounted_expected_residual_lifetime,
    fit_sbg,
    survival,
)

FITTED_COLUMNS = (
    "store_id",
    "survival_period",
    "sbg_alpha",
    "sbg_beta",
    "sbg_converged",
    "sbg_is_geometric_limit",
    "sbg_log_likelihood",
    "customers_fitted",
    "fitted_survival_rate",
    "expected_remaining_lifetime",
)


def store_likelihood_rows(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(period, is_censored, weight) rows of one store's observed survival counts.

    ``counts``: cohort_month, survival_period, cohort_size, surviving_customers of the
    observed rows (k = 0..K_c per cohort). Per cohort: s_{k-1} - s_k customers left in period
    k, and s_K are right-censored at K_c (Fader & Hardie 2007, eq. 7, summed over cohorts).
    """
    observed = counts.sort_values(["cohort_month", "survival_period"])
    k = observed["survival_period"].to_numpy(np.int64)
    s = observed["surviving_customers"].to_numpy(np.float64)
    cohort = observed["cohort_month"].to_numpy()
    same_cohort_as_previous = np.concatenate([[False], cohort[1:] == cohort[:-1]])
    is_last = np.concatenate([cohort[1:] != cohort[:-1], [True]])
    churn_periods = k[same_cohort_as_previous]
    churn_weights = s[np.roll(same_cohort_as_previous, -1)] - s[same_cohort_as_previous]
    censored_mask = is_last & (k > 0)
    periods = np.concatenate([churn_periods, k[censored_mask]]).astype(np.float64)
    censored = np.concatenate(
        [np.zeros(churn_periods.size, dtype=bool), np.ones(int(censored_mask.sum()), dtype=bool)]
    )
    weights = np.concatenate([churn_weights, s[censored_mask]])
    return periods, censored, weights


def fit_stores(
    counts: pd.DataFrame, survival_period_months: int, annual_discount_rate: float
) -> pd.DataFrame:
    """One row per store x survival_period (0..the largest period in ``counts``).

    ``counts``: store_id, cohort_month, survival_period, cohort_size, surviving_customers,
    is_observed (int_cohort_survival_counted). Per store, the sBG fitted over all its
    cohorts (younger ones right-censored), S(k) and the discounted expected residual
    lifetime of a customer who survived k periods, discounted at annual_discount_rate
    converted to one survival period. Stores whose fit fails get null (NaN) figures.
    """
    discount = (1.0 + annual_discount_rate) ** (survival_period_months / 12.0) - 1.0
    last_period = int(counts["survival_period"].max()) if len(counts) else -1
    periods = np.arange(last_period + 1)
    parts: list[pd.DataFrame] = []
    for store_id, store_counts in counts.groupby("store_id", sort=True):
        observed = store_counts[store_counts["is_observed"].astype(bool)]
        fit = fit_sbg(*store_likelihood_rows(observed))
        usable = fit.converged and np.isfinite(fit.alpha) and np.isfinite(fit.beta)
        nan = np.full(periods.size, np.nan)
        parts.append(
            pd.DataFrame(
                {
                    "store_id": store_id,
                    "survival_period": periods,
                    "sbg_alpha": fit.alpha if usable else np.nan,
                    "sbg_beta": fit.beta if usable else np.nan,
                    "sbg_converged": bool(usable),
                    "sbg_is_geometric_limit": bool(usable and fit.is_geometric_limit),
                    "sbg_log_likelihood": fit.log_likelihood if usable else np.nan,
                    "customers_fitted": fit.n_customers,
                    "fitted_survival_rate": survival(fit.alpha, fit.beta, periods)
                    if usable
                    else nan,
                    "expected_remaining_lifetime": np.array(
                        [
                            discounted_expected_residual_lifetime(
                                fit.alpha, fit.beta, int(k), discount
                            )
                            for k in periods
                        ]
                    )
                    if usable
                    else nan,
                }
            )
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in FITTED_COLUMNS}).astype(
            {"store_id": object, "sbg_converged": bool, "sbg_is_geometric_limit": bool}
        )
    return pd.concat(parts, ignore_index=True)[list(FITTED_COLUMNS)]
