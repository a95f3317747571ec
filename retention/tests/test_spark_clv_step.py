"""The CLV step that replaces the Python models on Spark (retention.spark.clv_step).

Run without Spark on the DuckDB sample build: the step's fit, given the same
collapsed rows, reproduces the Python model's table exactly whatever the
order of the rows (the order a table scan returns is not fixed, on either
engine); the scores the step and the model write agree with lifetimes, an
independent implementation. The step's Spark reads and writes run in `make
test-spark` (.github/workflows/spark.yml).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter

from retention.clv.fit import fit_warehouse_rows
from retention.clv.lifetime_value import DAYS_PER_MONTH
from retention.spark.clv_step import fitted_types, project_vars, scored_types
from retention.tests.conftest import Warehouse

PARAMETERS = ["r", "alpha", "a", "b", "p", "q", "gamma", "log_likelihood", "gg_log_likelihood"]


def _inputs(warehouse: Warehouse) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        warehouse.df("select * from intermediate.int_clv_frequency_rows"),
        warehouse.df("select * from intermediate.int_clv_spend_rows"),
    )


def test_step_fit_equals_the_python_model_in_any_row_order(sample_warehouse: Warehouse) -> None:
    frequency_rows, spend_rows = _inputs(sample_warehouse)
    min_repeat_buyers = int(project_vars()["clv_min_repeat_buyers"])
    model = sample_warehouse.df(
        "select * from intermediate.int_clv_parameters_fitted order by industry_segment"
    ).set_index("industry_segment")
    for seed in (1, 2):
        shuffled = fit_warehouse_rows(
            frequency_rows.sample(frac=1, random_state=seed).reset_index(drop=True),
            spend_rows.sample(frac=1, random_state=seed + 10).reset_index(drop=True),
            min_repeat_buyers,
        ).set_index("industry_segment")
        step = shuffled.loc[model.index]
        assert (step["parameter_source"] == model["parameter_source"]).all()
        for column in PARAMETERS:
            pd.testing.assert_series_equal(
                step[column].astype(float), model[column].astype(float), check_exact=True
            )


def test_scoring_matches_lifetimes(sample_warehouse: Warehouse) -> None:
    """The scored rows (the model's, which the Spark step writes with the same
    `score_rows`) against an independent implementation: lifetimes' BG/NBD,
    with the parameters fitted in the warehouse. Discounted purchases are the
    monthly increments of lifetimes' E[X(t)], discounted month by month."""
    parameters = sample_warehouse.df("select * from intermediate.int_clv_parameters_fitted")
    window = sample_warehouse.df("select * from intermediate.int_clv_holdout_window")
    scored = sample_warehouse.df("select * from intermediate.int_clv_unique_rows_scored")
    settings = project_vars()
    horizon = int(settings["clv_horizon_months"])
    monthly = (1.0 + float(settings["annual_discount_rate"])) ** (1.0 / 12.0) - 1.0
    holdout_days = float(window["holdout_days"].iloc[0])
    checked = 0
    for row in parameters.itertuples():
        rows = scored[scored["industry_segment"] == row.industry_segment]
        if not row.converged:
            assert rows["probability_alive"].isna().all(), row.industry_segment
            continue
        fitter = BetaGeoFitter()
        fitter.params_ = pd.Series({k: float(getattr(row, k)) for k in ("r", "alpha", "a", "b")})
        x, t_x, T = (rows[c].to_numpy(float) for c in ("frequency", "recency_days", "tenure_days"))

        def expected(t: float, x=x, t_x=t_x, T=T, fitter=fitter) -> np.ndarray:
            return np.asarray(
                fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T), float
            )

        cumulative = [expected(k * DAYS_PER_MONTH) for k in range(1, horizon + 1)]
        increments = np.diff(np.vstack([np.zeros(len(rows)), *cumulative]), axis=0)
        discounts = (1.0 + monthly) ** -np.arange(1, horizon + 1, dtype=float)
        np.testing.assert_allclose(
            rows["probability_alive"],
            fitter.conditional_probability_alive(x, t_x, T),
            rtol=1e-9,
        )
        np.testing.assert_allclose(rows["predicted_purchases"], cumulative[-1], rtol=1e-8)
        np.testing.assert_allclose(
            rows["discounted_purchases"], discounts @ increments, rtol=1e-8, atol=1e-12
        )
        if holdout_days > 0:
            np.testing.assert_allclose(
                rows["holdout_predicted_purchases"], expected(holdout_days), rtol=1e-8
            )
        else:
            assert rows["holdout_predicted_purchases"].isna().all()
        checked += len(rows)
    assert checked > 1000


def test_step_tables_have_the_python_models_columns(sample_warehouse: Warehouse) -> None:
    for table, types in (
        ("int_clv_parameters_fitted", fitted_types()),
        ("int_clv_unique_rows_scored", scored_types()),
    ):
        described = sample_warehouse.query(f"describe intermediate.{table}")
        assert [row[0] for row in described] == list(types), table
        duckdb_types = {row[0]: row[1] for row in described}
        spark_to_duckdb = {"string": "VARCHAR", "double": "DOUBLE", "int": "INTEGER"}
        spark_to_duckdb |= {"boolean": "BOOLEAN"}
        assert {c: spark_to_duckdb[t] for c, t in types.items()} == duckdb_types, table
