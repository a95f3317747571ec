"""sBG (shifted-beta-geometric) fitted per store over all its acquisition cohorts, in dbt build.

Calls retention.survival.warehouse.fit_stores on the observed first-span survival counts of
int_cohort_survival_counted (younger cohorts are right-censored). One row per store x
survival_period: the fitted alpha, beta, S(k) and the discounted expected residual lifetime.
"""

from retention.survival.warehouse import FITTED_COLUMNS, fit_stores

_TYPES = {"store_id": "varchar", "survival_period": "integer", "sbg_converged": "boolean"}
_TYPES |= {"sbg_is_geometric_limit": "boolean"}


def model(dbt, session):
    dbt.config(materialized="table")
    survival_period_months = int(dbt.config.get("survival_period_months"))
    annual_discount_rate = float(dbt.config.get("annual_discount_rate"))
    counts = dbt.ref("int_cohort_survival_counted").df()
    fitted = fit_stores(counts, survival_period_months, annual_discount_rate)
    # explicit types: an empty DataFrame (no customers yet) has untyped object columns
    types = {c: _TYPES.get(c, "double") for c in FITTED_COLUMNS}
    return session.from_df(fitted).project(
        ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
    )
