"""BG/NBD and Gamma-Gamma fitted by maximum likelihood per industry segment, inside dbt build.

Calls retention.clv.fit.fit_warehouse_rows (fit_segments) on the collapsed unique rows (int_clv_frequency_rows,
int_clv_spend_rows). A segment with fewer than `clv_min_repeat_buyers` repeat buyers, or whose
own fit fails, receives the pooled parameters (parameter_source = 'pooled'). The contract and
the NaN guards live in the SQL mart clv_model_parameters.
"""

from retention.clv.fit import OUTPUT_COLUMNS, fit_warehouse_rows
from retention.clv.rows import with_segment_codes

_TEXT = {"industry_segment", "parameter_source"}


def model(dbt, session):
    dbt.config(materialized="table")
    min_repeat_buyers = int(dbt.config.get("min_repeat_buyers"))
    fitted = fit_warehouse_rows(
        with_segment_codes(dbt.ref("int_clv_frequency_rows")),
        with_segment_codes(dbt.ref("int_clv_spend_rows")),
        min_repeat_buyers,
    )
    # explicit types: an empty DataFrame (no customers yet) has untyped object columns
    types = {c: "varchar" if c in _TEXT else "double" for c in OUTPUT_COLUMNS}
    types |= {"converged": "boolean", "min_repeat_buyers": "integer"}
    return session.from_df(fitted).project(
        ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
    )
