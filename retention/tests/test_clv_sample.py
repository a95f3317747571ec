"""CLV columns and marts on the bundled sample, against independent pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.tests.conftest import Warehouse


@pytest.fixture(scope="module")
def purchases(sample_warehouse: Warehouse) -> pd.DataFrame:
    return sample_warehouse.df(
        "select store_id, customer_id, order_date, net_revenue from marts.fct_orders "
        "where customer_order_number is not null"
    )


@pytest.fixture(scope="module")
def as_of(sample_warehouse: Warehouse) -> pd.Timestamp:
    [(latest,)] = sample_warehouse.query("select max(order_date) from staging.stg_shop__orders")
    return pd.Timestamp(latest)


def test_customer_summary_matches_pandas(
    sample_warehouse: Warehouse, purchases: pd.DataFrame, as_of: pd.Timestamp
) -> None:
    """Every customer, every column of the buy-till-you-die summary, computed in pandas."""
    days = (
        purchases.assign(net_revenue=purchases["net_revenue"].astype(float))
        .groupby(["store_id", "customer_id", "order_date"], as_index=False)["net_revenue"]
        .sum()
        .sort_values(["store_id", "customer_id", "order_date"])
    )
    days["order_date"] = pd.to_datetime(days["order_date"])
    days["is_repeat"] = days.groupby(["store_id", "customer_id"]).cumcount() > 0
    grouped = days.groupby(["store_id", "customer_id"])
    expected = pd.DataFrame(
        {
            "frequency": grouped.size() - 1,
            "recency_days": (grouped["order_date"].max() - grouped["order_date"].min()).dt.days,
            "tenure_days": (as_of - grouped["order_date"].min()).dt.days,
            "monetary_value": days.loc[days["is_repeat"]]
            .groupby(["store_id", "customer_id"])["net_revenue"]
            .mean(),
            "historical_clv": grouped["net_revenue"].sum(),
        }
    )
    expected["monetary_value"] = expected["monetary_value"].fillna(0.0)
    got = sample_warehouse.df(
        "select store_id, customer_id, frequency, recency_days, tenure_days, monetary_value, "
        "historical_clv from marts.dim_customers"
    ).set_index(["store_id", "customer_id"])
    assert len(got) == len(expected)
    got = got.loc[expected.index]
    for column in ("frequency", "recency_days", "tenure_days"):
        np.testing.assert_array_equal(got[column].to_numpy(), expected[column].to_numpy(), column)
    for column in ("monetary_value", "historical_clv"):
        np.testing.assert_allclose(
            got[column].astype(float), expected[column], atol=0.0051, err_msg=column
        )


def test_clv_columns_present_and_sane(sample_warehouse: Warehouse) -> None:
    [(n, n_pred, bad_alive, bad_clv, n_params, n_converged)] = sample_warehouse.query(
        """
        select
            count(*),
            count(predicted_clv),
            count(*) filter (where probability_alive < 0 or probability_alive > 1),
            count(*) filter (where predicted_clv < 0 or simple_clv < 0),
            (select count(*) from marts.clv_model_parameters),
            (select count(*) from marts.clv_model_parameters where converged)
        from marts.dim_customers
        """
    )
    assert n > 0 and bad_alive == 0 and bad_clv == 0
    assert n_params == n_converged  # every segment of the sample fits
    assert n_pred == n


def test_unit_economics_matches_pandas(sample_warehouse: Warehouse, as_of: pd.Timestamp) -> None:
    report = sample_warehouse.df("select * from marts.rpt_unit_economics").set_index(
        ["store_id", "month"]
    )
    customers = sample_warehouse.df(
        "select store_id, cohort_month as month, predicted_clv from marts.dim_customers"
    )
    spend = sample_warehouse.df(
        "select store_id, month, spend_reporting from staging.stg_shop__marketing_spend"
    )
    spend = spend.loc[pd.to_datetime(spend["month"]) <= as_of.to_period("M").to_timestamp()]
    new = customers.groupby(["store_id", "month"]).agg(
        new_customers=("predicted_clv", "size"),
        clv=("predicted_clv", lambda s: s.astype(float).mean()),
    )
    money = spend.groupby(["store_id", "month"])["spend_reporting"].sum().astype(float)
    expected = new.join(money.rename("spend"), how="outer")
    expected["new_customers"] = expected["new_customers"].fillna(0)
    expected["spend"] = expected["spend"].fillna(0.0)
    assert len(report) == len(expected)
    report = report.loc[expected.index]
    np.testing.assert_array_equal(report["new_customers"], expected["new_customers"])
    np.testing.assert_allclose(
        report["marketing_spend"].astype(float), expected["spend"], atol=0.006
    )
    cac = expected["spend"] / expected["new_customers"].replace(0, np.nan)
    has_cac = cac.notna().to_numpy()
    assert (report["cac"].notna().to_numpy() == has_cac).all()
    np.testing.assert_allclose(report["cac"].astype(float)[has_cac], cac[has_cac], atol=0.006)
    ratio = (expected["clv"] / cac)[has_cac & (cac > 0).to_numpy()]
    np.testing.assert_allclose(
        report.loc[ratio.index, "clv_to_cac"].astype(float), ratio, rtol=1e-3, atol=1e-3
    )


def test_too_small_for_a_model_gets_no_predictions(tiny_warehouse: Warehouse) -> None:
    """The nine-order tiny dataset: even pooled, far below the repeat-buyer threshold, so the
    parameters are flagged and no prediction is made (simple CLV and history remain)."""
    [(segments, converged)] = tiny_warehouse.query(
        "select count(*), count(*) filter (where converged) from marts.clv_model_parameters"
    )
    assert segments > 0 and converged == 0
    [(n, predicted, alive, historical)] = tiny_warehouse.query(
        "select count(*), count(predicted_clv), count(probability_alive), count(historical_clv) "
        "from marts.dim_customers"
    )
    assert n > 0 and predicted == 0 and alive == 0 and historical == n
