"""Score unique (segment, frequency, recency, T) rows with fitted per-segment parameters.

Pure (no I/O): the dbt Python model ``int_clv_unique_rows_scored`` calls :func:`score_rows` on the
collapsed BG/NBD rows and the parameter table of :func:`retention.clv.fit.fit_segments`; SQL
joins the result back to every customer. Only converged, finite parameters are used: rows of
other segments get null (NaN) predictions, never numbers from a failed fit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from retention.clv.bgnbd import (
    BGNBDParams,
    expected_purchases,
    expected_purchases_by_period,
    probability_alive,
)
from retention.clv.lifetime_value import DAYS_PER_MONTH

SCORE_COLUMNS = (
    "industry_segment",
    "frequency",
    "recency_days",
    "tenure_days",
    "probability_alive",
    "predicted_purchases",
    "discounted_purchases",
    "holdout_predicted_purchases",
)


def _usable_params(row: pd.Series) -> BGNBDParams | None:
    values = [float(row[k]) for k in ("r", "alpha", "a", "b")]
    if not bool(row["converged"]) or not all(math.isfinite(v) and v > 0 for v in values):
        return None
    r, alpha, a, b = values
    return BGNBDParams(r, alpha, a, b, float("nan"), True, float("nan"))


def score_rows(
    rows: pd.DataFrame,
    parameters: pd.DataFrame,
    horizon_months: int,
    annual_discount_rate: float,
    holdout_days: float = 0.0,
) -> pd.DataFrame:
    """Per unique row: P(alive), expected purchases over the horizon, discounted purchases.

    ``rows``: industry_segment, frequency, recency_days, tenure_days (days).
    ``parameters``: industry_segment, r, alpha, a, b, converged.

    - predicted_purchases: E[purchases in (T, T + horizon_months months]] (BG/NBD eq. 10);
    - discounted_purchases: sum over months k of E[purchases in month k] / (1 + i)^k with
      i = (1 + annual_discount_rate)^(1/12) - 1, so that predicted CLV =
      discounted_purchases x expected spend x margin
      (see retention.clv.lifetime_value.predicted_clv);
    - holdout_predicted_purchases: E[purchases in (T, T + holdout_days]] (NaN when
      holdout_days = 0).
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    monthly_rate = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly_rate) ** -np.arange(1, horizon_months + 1, dtype=np.float64)
    by_segment = {row["industry_segment"]: _usable_params(row) for _, row in parameters.iterrows()}
    parts: list[pd.DataFrame] = []
    for segment, seg_rows in rows.groupby("industry_segment", sort=False):
        out = seg_rows[["industry_segment", "frequency", "recency_days", "tenure_days"]].copy()
        params = by_segment.get(segment)
        nan = np.full(len(out), np.nan)
        if params is None:
            for col in SCORE_COLUMNS[4:]:
                out[col] = nan
            parts.append(out)
            continue
        x = out["frequency"].to_numpy(np.float64)
        t_x = out["recency_days"].to_numpy(np.float64)
        T = out["tenure_days"].to_numpy(np.float64)
        by_month = expected_purchases_by_period(params, x, t_x, T, DAYS_PER_MONTH, horizon_months)
        out["probability_alive"] = probability_alive(params, x, t_x, T)
        out["predicted_purchases"] = by_month.sum(axis=1)
        out["discounted_purchases"] = by_month @ discount
        out["holdout_predicted_purchases"] = (
            expected_purchases(params, holdout_days, x, t_x, T) if holdout_days > 0 else nan
        )
        parts.append(out)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in SCORE_COLUMNS}).astype(
            {"industry_segment": object}
        )
    scored = pd.concat(parts, ignore_index=True)
    values = scored[list(SCORE_COLUMNS[4:])].to_numpy(np.float64)
    scored[list(SCORE_COLUMNS[4:])] = np.where(np.isfinite(values), values, np.nan)
    return scored[list(SCORE_COLUMNS)]
