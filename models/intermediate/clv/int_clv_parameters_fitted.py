"""BG/NBD and Gamma-Gamma fitted by maximum likelihood per industry segment, inside dbt build.

Calls retention.clv.fit.fit_warehouse_rows (fit_segments) on the collapsed unique rows (int_clv_frequency_rows,
int_clv_spend_rows). A segment with fewer than `clv_min_repeat_buyers` repeat buyers, or whose
own fit fails, receives the pooled parameters (parameter_source = 'pooled'). The contract and
the NaN guards live in the SQL mart clv_model_parameters.
"""

import pandas as pd

from retention.clv.fit import OUTPUT_COLUMNS, fit_warehouse_rows

_TEXT = {"industry_segment", "parameter_source"}


def _with_segment_codes(rows):
    """The rows of a DuckDB relation as a DataFrame whose industry_segment is a pandas
    categorical made from integer codes: read as text, each row's segment would be a Python
    string (at 50M orders 5.7M rows, and the fit's peak memory 2.1 GB instead of 1.1 GB,
    outside DuckDB's memory limit; DECISIONLOG.md "The CLV fit reads segment codes")."""
    names = [
        name
        for (name,) in rows.query(
            "unique_rows",
            "select distinct industry_segment from unique_rows "
            "where industry_segment is not null order by 1",
        ).fetchall()
    ]
    listed = "[" + ", ".join("'" + name.replace("'", "''") + "'" for name in names) + "]"
    frame = rows.project(
        "* exclude (industry_segment), "
        f"cast(coalesce(list_position({listed}::varchar[], industry_segment), 0) - 1 as integer) "
        "as segment_code"
    ).df()
    codes = frame.pop("segment_code").to_numpy()
    frame.insert(0, "industry_segment", pd.Categorical.from_codes(codes, categories=names))
    return frame


def model(dbt, session):
    dbt.config(materialized="table")
    min_repeat_buyers = int(dbt.config.get("min_repeat_buyers"))
    fitted = fit_warehouse_rows(
        _with_segment_codes(dbt.ref("int_clv_frequency_rows")),
        _with_segment_codes(dbt.ref("int_clv_spend_rows")),
        min_repeat_buyers,
    )
    # explicit types: an empty DataFrame (no customers yet) has untyped object columns
    types = {c: "varchar" if c in _TEXT else "double" for c in OUTPUT_COLUMNS}
    types |= {"converged": "boolean", "min_repeat_buyers": "integer"}
    return session.from_df(fitted).project(
        ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
    )
