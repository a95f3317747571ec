"""fct_cohort_survival on the built sample: observed survival counts against an independent
pandas computation from fct_orders purchase days, and the sBG columns against
retention.survival."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.survival import survival

W = 365  # active_window_days (default)
PERIOD_MONTHS = 12  # survival_period_months (default)

pytestmark = pytest.mark.slow


def _expected_counts(orders: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Survivors per store x cohort x observed k, from purchase days, in plain pandas."""
    days = (
        orders.assign(order_date=pd.to_datetime(orders["order_date"]))
        .drop_duplicates()
        .sort_values(["store_id", "customer_id", "order_date"])
    )
    gap = days.groupby(["store_id", "customer_id"])["order_date"].diff().dt.days
    days["span"] = (gap > W).astype(int).groupby([days["store_id"], days["customer_id"]]).cumsum()
    spans = (
        days[days["span"] == 0]
        .groupby(["store_id", "customer_id"])["order_date"]
        .agg(first="min", last="max")
        .reset_index()
    )
    spans["active_until"] = spans["last"] + pd.Timedelta(days=W - 1)
    spans["cohort_month"] = spans["first"].dt.to_period("M").dt.to_timestamp()
    month_end = spans["cohort_month"] + pd.offsets.MonthEnd(0)
    parts = []
    for k in range(0, 30):
        offset = pd.DateOffset(months=PERIOD_MONTHS * k)
        observed = (month_end + offset <= as_of) | (k == 0)
        if not observed.any():
            break
        part = spans[observed][["store_id", "cohort_month"]].copy()
        part["survival_period"] = k
        part["alive"] = spans["first"][observed] + offset <= spans["active_until"][observed]
        parts.append(part)
    frame = pd.concat(parts)
    return (
        frame.groupby(["store_id", "cohort_month", "survival_period"])
        .agg(cohort_size=("alive", "size"), surviving_customers=("alive", "sum"))
        .reset_index()
    )


def test_observed_survival_matches_pandas(sample_warehouse) -> None:
    orders = sample_warehouse.df(
        "select store_id, customer_id, order_date from marts.fct_orders "
        "where customer_order_number is not null"
    )
    as_of = pd.Timestamp(
        sample_warehouse.query(
            "select max(first_order_date + tenure_days) from marts.dim_customers"
        )[0][0]
    )
    expected = _expected_counts(orders, as_of)
    actual = sample_warehouse.df(
        "select store_id, cohort_month, survival_period, cohort_size, surviving_customers "
        "from marts.fct_cohort_survival where not is_forecast"
    )
    actual["cohort_month"] = pd.to_datetime(actual["cohort_month"])
    merged = expected.merge(
        actual, on=["store_id", "cohort_month", "survival_period"], how="outer", indicator=True
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["cohort_size_x"] == merged["cohort_size_y"]).all()
    assert (merged["surviving_customers_x"] == merged["surviving_customers_y"]).all()
    # some customers did leave within the observed periods: the test is not vacuous
    assert (merged["surviving_customers_x"] < merged["cohort_size_x"]).any()


def test_sbg_columns_follow_the_fitted_parameters(sample_warehouse) -> None:
    rows = sample_warehouse.df(
        "select store_id, survival_period, sbg_alpha, sbg_beta, fitted_survival_rate "
        "from marts.fct_cohort_survival where sbg_alpha is not null"
    )
    assert len(rows) > 0
    for (_store, alpha, beta), group in rows.groupby(["store_id", "sbg_alpha", "sbg_beta"]):
        np.testing.assert_allclose(
            group["fitted_survival_rate"],
            survival(alpha, beta, group["survival_period"]),
            rtol=1e-9,
        )
    forecast = sample_warehouse.df(
        "select * from marts.fct_cohort_survival where is_forecast and sbg_alpha is not null"
    )
    assert len(forecast) > 0
    # conditional forecast: survivors at K x S(k) / S(K); never above the last observation
    last = sample_warehouse.df(
        "select store_id, cohort_month, surviving_customers as s_k, fitted_survival_rate as f_k "
        "from marts.fct_cohort_survival where survival_period = last_observed_period"
    )
    joined = forecast.merge(last, on=["store_id", "cohort_month"])
    np.testing.assert_allclose(
        joined["forecast_surviving_customers"],
        joined["s_k"] * joined["fitted_survival_rate"] / joined["f_k"],
        rtol=1e-9,
    )
    assert (joined["forecast_surviving_customers"] <= joined["s_k"] + 1e-9).all()
