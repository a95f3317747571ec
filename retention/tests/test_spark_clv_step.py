"""The CLV step that replaces the Python models on Spark (retention.spark.clv_step).

Run without Spark on the DuckDB sample build: the step's fit and scoring,
given the same collapsed rows, reproduce the Python models' tables exactly,
whatever the order of the rows (the order a table scan returns is not fixed,
on either engine).
"""

from __future__ import annotations

import pandas as pd

from retention.clv.fit import fit_warehouse_rows
from retention.clv.score import score_rows
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


def test_step_scoring_equals_the_python_model(sample_warehouse: Warehouse) -> None:
    frequency_rows, _ = _inputs(sample_warehouse)
    parameters = sample_warehouse.df("select * from intermediate.int_clv_parameters_fitted")
    window = sample_warehouse.df("select * from intermediate.int_clv_holdout_window")
    settings = project_vars()
    scored = score_rows(
        frequency_rows,
        parameters,
        int(settings["clv_horizon_months"]),
        float(settings["annual_discount_rate"]),
        float(window["holdout_days"].iloc[0]),
    )
    key = ["industry_segment", "frequency", "recency_days", "tenure_days"]
    model = sample_warehouse.df("select * from intermediate.int_clv_unique_rows_scored")
    merged = model.merge(scored, on=key, suffixes=("_model", "_step"), validate="one_to_one")
    assert len(merged) == len(model) == len(scored)
    for column in ("probability_alive", "predicted_purchases", "discounted_purchases"):
        pd.testing.assert_series_equal(
            merged[f"{column}_model"], merged[f"{column}_step"], check_names=False, rtol=1e-12
        )


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
