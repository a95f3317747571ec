"""The CLV models' unique rows read from DuckDB with the industry segment as integer codes.

Read as text, each row's segment becomes a Python string: at 50M orders the 5.7M BG/NBD rows
took the CLV fit's peak memory to 2.1 GB instead of 1.1 GB, outside DuckDB's memory limit
(DECISIONLOG.md "The CLV fit reads segment codes"). The fit and the scoring models read
their rows through :func:`with_segment_codes`.
"""

from __future__ import annotations

import duckdb
import pandas as pd


def with_segment_codes(rows: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """``rows`` as a DataFrame whose ``industry_segment`` is a pandas categorical made from
    integer codes (a null segment stays missing); the other columns as DuckDB gives them."""
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
