"""Per unique (segment, frequency, recency, T) row: P(alive), expected purchases over the CLV
horizon, their discounted sum and the expected purchases over the holdout period.

Scoring unique rows (not customers) keeps the hypergeometric evaluations few; SQL joins the
result back to every customer (int_customers_clv_predicted). See retention.clv.score.
"""

from retention.clv.rows import with_segment_codes
from retention.clv.score import SCORE_COLUMNS, score_rows

_TYPES = {"industry_segment": "varchar", "frequency": "integer", "recency_days": "integer"}


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_months = int(dbt.config.get("clv_horizon_months"))
    annual_discount_rate = float(dbt.config.get("annual_discount_rate"))
    rows = with_segment_codes(dbt.ref("int_clv_frequency_rows"))
    parameters = dbt.ref("int_clv_parameters_fitted").df()
    window = dbt.ref("int_clv_holdout_window").df()
    holdout_days = float(window["holdout_days"].iloc[0]) if len(window) else 0.0
    scored = score_rows(rows, parameters, horizon_months, annual_discount_rate, holdout_days)
    # explicit types: an empty DataFrame (no customers yet) has untyped object columns
    types = {c: _TYPES.get(c, "double") for c in SCORE_COLUMNS} | {"tenure_days": "integer"}
    return session.from_df(scored).project(
        ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
    )
