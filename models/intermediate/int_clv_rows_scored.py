"""Per unique (segment, frequency, recency, T) row: P(alive), expected purchases over the CLV
horizon, their discounted sum and the expected purchases over the holdout period.

Scoring unique rows (not customers) keeps the hypergeometric evaluations few; SQL joins the
result back to every customer (int_customers_clv_scored). See retention.clv.score.
"""

from retention.clv.score import score_rows


def model(dbt, session):
    dbt.config(materialized="table")
    horizon_months = int(dbt.config.get("clv_horizon_months"))
    annual_discount_rate = float(dbt.config.get("annual_discount_rate"))
    rows = dbt.ref("int_clv_frequency_rows").df()
    parameters = dbt.ref("int_clv_parameters_fitted").df()
    window = dbt.ref("int_clv_holdout_window").df()
    holdout_days = float(window["holdout_days"].iloc[0]) if len(window) else 0.0
    return score_rows(rows, parameters, horizon_months, annual_discount_rate, holdout_days)
