"""The CLV step of a Spark build: `python -m retention.spark.clv_step`.

dbt-spark's session method runs no Python model, so on the spark target the
models int_clv_parameters_fitted and int_clv_unique_rows_scored are disabled and
this step takes their place between two dbt invocations:

    dbt build --target spark --exclude source:clv_spark_step+
    python -m retention.spark.clv_step
    dbt build --target spark --select source:clv_spark_step+

It reads the Spark tables int_clv_frequency_rows, int_clv_spend_rows and
int_clv_holdout_window, runs the same retention.clv code as the Python
models (fit_segments, score_rows) and writes the two tables with the same
columns and types. The downstream SQL reads them through the macro
clv_step_relation (source clv_spark_step). The inputs are collapsed unique
rows (a few thousand), so the driver handles them in pandas at any scale.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import yaml

from retention.clv.fit import OUTPUT_COLUMNS, fit_warehouse_rows
from retention.clv.score import SCORE_COLUMNS, score_rows
from retention.dbt import PROJECT_ROOT

SCHEMA = "intermediate"
_TEXT = {"industry_segment", "parameter_source"}
_SCORED_TYPES = {"industry_segment": "string", "frequency": "int", "recency_days": "int"}


def project_vars(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """dbt vars of dbt_project.yml with `--vars` overrides applied."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())
    return {**project.get("vars", {}), **(overrides or {})}


def fitted_types() -> dict[str, str]:
    """Column types of int_clv_parameters_fitted (as the Python model casts them)."""
    types = {c: "string" if c in _TEXT else "double" for c in OUTPUT_COLUMNS}
    return types | {"converged": "boolean", "min_repeat_buyers": "int"}


def scored_types() -> dict[str, str]:
    """Column types of int_clv_unique_rows_scored."""
    return {c: _SCORED_TYPES.get(c, "double") for c in SCORE_COLUMNS} | {"tenure_days": "int"}


def _spark_frame(spark, frame: pd.DataFrame, types: Mapping[str, str]):  # -> DataFrame
    """pandas -> Spark with explicit types; NaN becomes null as in DuckDB's from_df."""
    from pyspark.sql.types import _parse_datatype_string

    schema = _parse_datatype_string(", ".join(f"{c}: {t}" for c, t in types.items()))
    records = []
    for row in frame[list(types)].itertuples(index=False):
        values = []
        for value, kind in zip(row, types.values(), strict=True):
            if value is None or (isinstance(value, float) and np.isnan(value)):
                values.append(None)
            elif kind == "double":
                values.append(float(value))
            elif kind in {"int", "bigint"}:
                values.append(int(value))
            elif kind == "boolean":
                values.append(bool(value))
            else:
                values.append(str(value))
        records.append(tuple(values))
    return spark.createDataFrame(records, schema)


def run(spark, vars: Mapping[str, Any] | None = None, schema: str = SCHEMA) -> dict[str, float]:
    """Fit, score and write both tables; returns rows written and seconds."""
    started = time.perf_counter()
    settings = project_vars(vars)
    frequency_rows = spark.table(f"{schema}.int_clv_frequency_rows").toPandas()
    spend_rows = spark.table(f"{schema}.int_clv_spend_rows").toPandas()
    window = spark.table(f"{schema}.int_clv_holdout_window").toPandas()

    fitted = fit_warehouse_rows(frequency_rows, spend_rows, int(settings["clv_min_repeat_buyers"]))
    _spark_frame(spark, fitted, fitted_types()).write.mode("overwrite").format(
        "parquet"
    ).saveAsTable(f"{schema}.int_clv_parameters_fitted")

    # as on DuckDB, scoring reads the parameters back from the table
    parameters = spark.table(f"{schema}.int_clv_parameters_fitted").toPandas()
    holdout_days = float(window["holdout_days"].iloc[0]) if len(window) else 0.0
    scored = score_rows(
        frequency_rows,
        parameters,
        int(settings["clv_horizon_months"]),
        float(settings["annual_discount_rate"]),
        holdout_days,
    )
    _spark_frame(spark, scored, scored_types()).write.mode("overwrite").format(
        "parquet"
    ).saveAsTable(f"{schema}.int_clv_unique_rows_scored")
    return {
        "segments_fitted": float(len(fitted)),
        "rows_scored": float(len(scored)),
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vars", default="{}", help="dbt vars as JSON (same as dbt --vars)")
    args = parser.parse_args(argv)
    from retention.spark.session import spark_session

    summary = run(spark_session(), json.loads(args.vars))
    print(
        f"CLV step: {summary['segments_fitted']:.0f} segment fits, "
        f"{summary['rows_scored']:.0f} rows scored, {summary['seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
