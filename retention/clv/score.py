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
from retention.clv.outlook import median_days_to_next_purchase, probability_purchase_within

SCORE_COLUMNS = (
    "industry_segment",
    "frequency",
    "recency_days",
    "tenure_days",
    "probability_alive",
    "predicted_purchases",
    "discounted_purchases",
    "holdout_predicted_purchases",
    "probability_purchase_30d",
    "probability_purchase_90d",
    "median_days_to_next_purchase",
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
      holdout_days = 0);
    - probability_purchase_30d / _90d and median_days_to_next_purchase (if alive): the
      next-purchase outlook of retention.clv.outlook.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be >= 1")
    monthly_rate = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    discount = (1.0 + monthly_rate) ** -np.arange(1, horizon_months + 1, dtype=np.float64)
    by_segment = {row["industry_segment"]: _usable_params(row) for _, row in parameters.iterrows()}
    # Rows grouped by segment in the order segments first appear (rows without a segment
    # dropped), each segment's rows in their input order: what a pandas groupby gives, by
    # one stable argsort of integer codes (pandas' per-group takes and the concatenation
    # of the parts cost 3 of the 5.6 s of scoring at 10M orders).
    codes, segments = pd.factorize(rows["industry_segment"])
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]
    if len(order) == 0:
        return pd.DataFrame({c: pd.Series(dtype=np.float64) for c in SCORE_COLUMNS}).astype(
            {"industry_segment": object}
        )
    bounds = np.searchsorted(codes[order], np.arange(len(segments) + 1))
    keys = {c: rows[c].to_numpy()[order] for c in SCORE_COLUMNS[:4]}
    x_all, t_x_all, T_all = (
        keys[c].astype(np.float64) for c in ("frequency", "recency_days", "tenure_days")
    )
    scores = {c: np.full(len(order), np.nan) for c in SCORE_COLUMNS[4:]}
    for k, segment in enumerate(segments):
        params = by_segment.get(segment)
        if params is None:
            continue
        part = slice(bounds[k], bounds[k + 1])
        x, t_x, T = x_all[part], t_x_all[part], T_all[part]
        by_month = expected_purchases_by_period(params, x, t_x, T, DAYS_PER_MONTH, horizon_months)
        scores["probability_alive"][part] = probability_alive(params, x, t_x, T)
        scores["predicted_purchases"][part] = by_month.sum(axis=1)
        scores["discounted_purchases"][part] = by_month @ discount
        if holdout_days > 0:
            scores["holdout_predicted_purchases"][part] = expected_purchases(
                params, holdout_days, x, t_x, T
            )
        scores["probability_purchase_30d"][part] = probability_purchase_within(
            params, 30.0, x, t_x, T
        )
        scores["probability_purchase_90d"][part] = probability_purchase_within(
            params, 90.0, x, t_x, T
        )
        scores["median_days_to_next_purchase"][part] = median_days_to_next_purchase(params, x, T)
    for values in scores.values():
        values[~np.isfinite(values)] = np.nan
    return pd.DataFrame(keys | scores, columns=list(SCORE_COLUMNS))
