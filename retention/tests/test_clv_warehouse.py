"""CLV through the warehouse itself: raw orders in, `dbt build`, marts out.

One module-scoped build holds four stores, each in its own industry segment:

- ``cdnow`` (fashion): the 2,357-customer CDNOW sample shipped with lifetimes, as raw orders.
  Its dates are shifted by exactly 7,305 days (1997-01-01 -> 2017-01-01; the fx seed starts
  in 2015), which keeps every day difference; as_of_date 2017-09-30 = the 39-week
  calibration end 1997-09-30. Orders after it form the holdout period.
- ``sim`` (grocery): customers simulated from known BG/NBD + Gamma-Gamma parameters.
- ``solo`` (pet_supplies): three one-time buyers only (no repeat buyer), one of them buying
  on as_of_date itself.
- ``edge`` (toys_games): zero-value orders and same-day purchases.

Published values: Fader, Hardie & Lee (2005) BG/NBD r = 0.243, alpha = 4.414 weeks,
a = 0.793, b = 2.426; Fader & Hardie (2013) Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd
import pytest
from lifetimes.utils import summary_data_from_transaction_data

from retention.clv import bgnbd, gamma_gamma
from retention.clv.lifetime_value import DAYS_PER_MONTH
from retention.dbt import dbt_env
from retention.tests.conftest import Warehouse
from retention.tests.dbt_runs import run_dbt

SHIFT = timedelta(days=7305)
AS_OF = date(2017, 9, 30)
HOLDOUT_END = date(2018, 6, 30)
TRUE_BG = {"r": 0.6, "alpha": 30.0, "a": 0.7, "b": 2.5}
TRUE_GG = {"p": 5.0, "q": 4.0, "gamma": 60.0}
N_SIMULATED = 6000
HORIZON_MONTHS = 12
DISCOUNT_RATE = 0.10
DEFAULT_MARGIN = 0.5


def _cdnow_orders() -> pd.DataFrame:
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    ordered = pd.to_datetime(raw["date"], format="%Y%m%d") + SHIFT + pd.Timedelta(hours=12)
    return pd.DataFrame(
        {
            "store_id": "cdnow",
            "customer_id": raw["customer_id"],
            "ordered_at": ordered,
            "subtotal_amount": raw["amount"].round(2),
        }
    )


def _simulated_orders(seed: int = 5) -> pd.DataFrame:
    """BG/NBD purchase process + Gamma-Gamma spend, first purchases 2016-01-01..2017-09-30."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2016-01-01")
    span = (pd.Timestamp(AS_OF) - start).days
    end_day = (pd.Timestamp(HOLDOUT_END) - start).days + 1.0
    lam = rng.gamma(TRUE_BG["r"], 1.0 / TRUE_BG["alpha"], N_SIMULATED)
    drop = rng.beta(TRUE_BG["a"], TRUE_BG["b"], N_SIMULATED)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["gamma"], N_SIMULATED)
    rows: list[tuple[str, float, float]] = []
    for i in range(N_SIMULATED):
        cid = f"s{i:05d}"
        t = float(rng.integers(0, span + 1)) + 0.5  # first purchase at noon
        while t < end_day:
            rows.append((cid, t, float(rng.gamma(TRUE_GG["p"], 1.0 / nu[i]))))
            if len(rows) > 1 and rows[-2][0] == cid and rng.random() < drop[i]:
                break  # dies right after a repeat purchase
            t += rng.exponential(1.0 / lam[i])
    df = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    return pd.DataFrame(
        {
            "store_id": "sim",
            "customer_id": df["customer_id"],
            "ordered_at": start + pd.to_timedelta(np.floor(df["day"] * 24 * 60), unit="min"),
            "subtotal_amount": df["amount"].round(2),
        }
    )


def _edge_orders() -> pd.DataFrame:
    noon = pd.Timedelta(hours=12)
    as_of = pd.Timestamp(AS_OF)
    rows = [
        # pet_supplies: no repeat buyer at all; one customer buys on as_of_date itself
        ("solo", "only_today", as_of + noon, 25.0),
        ("solo", "once", as_of - pd.Timedelta(days=40) + noon, 30.0),
        ("solo", "once_zero", as_of - pd.Timedelta(days=90) + noon, 0.0),
        # toys_games: zero-value orders and same-day purchases
        ("edge", "zero_repeat", as_of - pd.Timedelta(days=100) + noon, 40.0),
        ("edge", "zero_repeat", as_of - pd.Timedelta(days=50) + noon, 0.0),
        ("edge", "same_day", as_of - pd.Timedelta(days=20), 10.0),
        ("edge", "same_day", as_of - pd.Timedelta(days=20) + noon, 15.0),
        ("edge", "same_day", as_of - pd.Timedelta(days=5) + noon, 7.5),
    ]
    return pd.DataFrame(rows, columns=["store_id", "customer_id", "ordered_at", "subtotal_amount"])


@pytest.fixture(scope="module")
def raw_orders() -> pd.DataFrame:
    orders = pd.concat([_cdnow_orders(), _simulated_orders(), _edge_orders()], ignore_index=True)
    orders.insert(0, "order_id", [f"o{i:07d}" for i in range(len(orders))])
    orders["status"] = "completed"
    orders["currency"] = "USD"
    return orders


@pytest.fixture(scope="module")
def clv_warehouse(tmp_path_factory: pytest.TempPathFactory, raw_orders: pd.DataFrame) -> Warehouse:
    directory = tmp_path_factory.mktemp("clv")
    raw = directory / "raw"
    raw.mkdir()
    out = raw_orders.copy()
    out["ordered_at"] = out["ordered_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out.to_csv(raw / "orders.csv", index=False)
    stores = pd.DataFrame(
        {
            "store_id": ["cdnow", "sim", "solo", "edge"],
            "store_name": ["CDNOW", "Simulated", "Solo", "Edge"],
            "industry_segment": ["fashion", "grocery", "pet_supplies", "toys_games"],
            "currency": "USD",
            "country_code": "US",
            "timezone": "UTC",
        }
    )
    stores.to_csv(raw / "stores.csv", index=False)
    path = directory / "clv.duckdb"
    env = dbt_env(raw_data_dir=raw, warehouse_path=path, target_path=directory / "target")
    result = run_dbt(
        ["build"],
        vars={
            "as_of_date": AS_OF.isoformat(),
            "clv_horizon_months": HORIZON_MONTHS,
            "annual_discount_rate": DISCOUNT_RATE,
            "default_gross_margin": DEFAULT_MARGIN,
        },
        env=env,
    )
    if not result.ok:
        pytest.fail(f"dbt build failed:\n{result.output[-6000:]}")
    return Warehouse(path, result, directory / "target")


@pytest.fixture(scope="module")
def parameters(clv_warehouse: Warehouse) -> pd.DataFrame:
    return clv_warehouse.df("select * from marts.clv_model_parameters").set_index(
        "industry_segment"
    )


@pytest.fixture(scope="module")
def customers(clv_warehouse: Warehouse) -> pd.DataFrame:
    return clv_warehouse.df("select * from marts.dim_customers").set_index(
        ["store_id", "customer_id"]
    )


def _lifetimes_summary(orders: pd.DataFrame) -> pd.DataFrame:
    calibration = orders.loc[orders["ordered_at"].dt.date <= AS_OF].copy()
    calibration["key"] = calibration["store_id"] + "|" + calibration["customer_id"]
    return summary_data_from_transaction_data(
        calibration,
        "key",
        "ordered_at",
        monetary_value_col="subtotal_amount",
        observation_period_end=pd.Timestamp(AS_OF),
        freq="D",
    )


def _bg_from_row(row: pd.Series):
    from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series({k: float(row[k]) for k in ("r", "alpha", "a", "b")})
    return fitter


# -- published CDNOW results -------------------------------------------------------------------


def test_cdnow_bgnbd_matches_published(parameters: pd.DataFrame) -> None:
    fit = parameters.loc["fashion"]
    assert fit["parameter_source"] == "segment"
    assert bool(fit["converged"])
    assert fit["customers_fitted"] == 2357
    # alpha is in days in the warehouse; the paper's is in weeks.
    assert fit["alpha"] / 7 == pytest.approx(4.414, rel=0.01)
    assert fit["r"] == pytest.approx(0.243, rel=0.01)
    assert fit["a"] == pytest.approx(0.793, rel=0.01)
    assert fit["b"] == pytest.approx(2.426, rel=0.01)


def test_cdnow_gamma_gamma_matches_published(parameters: pd.DataFrame) -> None:
    fit = parameters.loc["fashion"]
    assert fit["repeat_buyers_fitted"] == 946
    assert fit["p"] == pytest.approx(6.25, rel=0.01)
    assert fit["q"] == pytest.approx(3.74, rel=0.01)
    assert fit["gamma"] == pytest.approx(15.44, rel=0.01)


# -- customer summary --------------------------------------------------------------------------


def test_summary_matches_lifetimes(customers: pd.DataFrame, raw_orders: pd.DataFrame) -> None:
    expected = _lifetimes_summary(raw_orders)
    got = customers.reset_index()
    got.index = got["store_id"] + "|" + got["customer_id"]
    assert set(got.index) == set(expected.index)
    got = got.loc[expected.index]
    np.testing.assert_array_equal(got["frequency"], expected["frequency"])
    np.testing.assert_array_equal(got["recency_days"], expected["recency"])
    np.testing.assert_array_equal(got["tenure_days"], expected["T"])
    np.testing.assert_allclose(
        got["monetary_value"].astype(float), expected["monetary_value"], atol=0.005
    )


# -- parameter recovery ------------------------------------------------------------------------


def _standard_errors(neg_ll_grad, log_params: np.ndarray, total_weight: float) -> np.ndarray:
    """Standard errors of the parameters from the observed information (finite differences of
    the analytic gradient in log-parameters)."""
    k = log_params.size
    hessian = np.empty((k, k))
    h = 1e-5
    for j in range(k):
        step = np.zeros(k)
        step[j] = h
        hessian[:, j] = (neg_ll_grad(log_params + step)[1] - neg_ll_grad(log_params - step)[1]) / (
            2 * h
        )
    cov_log = np.linalg.inv(0.5 * (hessian + hessian.T) * total_weight)
    return np.exp(log_params) * np.sqrt(np.diag(cov_log))


def test_parameter_recovery_within_sampling_error(
    parameters: pd.DataFrame, customers: pd.DataFrame
) -> None:
    fit = parameters.loc["grocery"]
    assert fit["parameter_source"] == "segment" and bool(fit["converged"])
    sim = customers.loc["sim"]
    x = sim["frequency"].to_numpy(float)
    data = bgnbd._prepare(
        x, sim["recency_days"].to_numpy(float), sim["tenure_days"].to_numpy(float), np.ones_like(x)
    )
    names = ["r", "alpha", "a", "b"]
    theta = np.log(fit[names].to_numpy(float))
    se = _standard_errors(lambda th: bgnbd._neg_ll_and_grad(th, data), theta, len(x))
    for name, estimate, error in zip(names, np.exp(theta), se, strict=True):
        assert abs(estimate - TRUE_BG[name]) < 3 * error, (name, estimate, error)

    repeat = sim.loc[sim["frequency"] > 0]
    xs = repeat["frequency"].to_numpy(float)
    ms = repeat["monetary_value"].to_numpy(float)
    gg_names = ["p", "q", "gamma"]
    gg_theta = np.log(fit[gg_names].to_numpy(float))
    gg_data = gamma_gamma._prepare(xs, ms, np.ones_like(xs))
    gg_se = _standard_errors(
        lambda th: gamma_gamma._neg_ll_and_grad(th, gg_data), gg_theta, len(xs)
    )
    for name, estimate, error in zip(gg_names, np.exp(gg_theta), gg_se, strict=True):
        assert abs(estimate - TRUE_GG[name]) < 3 * error, (name, estimate, error)


# -- predictions against lifetimes with the same parameters -----------------------------------


def test_predictions_match_lifetimes(
    clv_warehouse: Warehouse,
    parameters: pd.DataFrame,
    customers: pd.DataFrame,
    raw_orders: pd.DataFrame,
) -> None:
    from lifetimes import GammaGammaFitter

    summary = _lifetimes_summary(raw_orders)

    for store, segment in (("cdnow", "fashion"), ("sim", "grocery")):
        row = parameters.loc[segment]
        c = customers.loc[store]
        x, t_x, T = c["frequency"], c["recency_days"], c["tenure_days"]
        bgf = _bg_from_row(row)
        np.testing.assert_allclose(
            c["probability_alive"], bgf.conditional_probability_alive(x, t_x, T), rtol=1e-6
        )
        cumulative = np.column_stack(
            [
                bgf.conditional_expected_number_of_purchases_up_to_time(
                    k * DAYS_PER_MONTH, x, t_x, T
                )
                for k in range(0, HORIZON_MONTHS + 1)
            ]
        )
        np.testing.assert_allclose(c["predicted_purchases"], cumulative[:, -1], rtol=1e-5)
        ggf = GammaGammaFitter()
        ggf.params_ = pd.Series({"p": row["p"], "q": row["q"], "v": row["gamma"]})
        # unrounded mean spend (the mart shows it rounded to cents)
        m = summary.loc[store + "|" + c.index, "monetary_value"].to_numpy()
        spend = ggf.conditional_expected_average_profit(x, pd.Series(m, index=x.index))
        np.testing.assert_allclose(
            c["expected_average_spend"].astype(float), spend, atol=0.005 + 1e-9
        )
        monthly = (1 + DISCOUNT_RATE) ** (1 / 12) - 1
        discount = (1 + monthly) ** -np.arange(1, HORIZON_MONTHS + 1)
        # the segment's seed margin (Damodaran, seeds/industry_segments.csv), else the default
        seed_margin = clv_warehouse.query(
            f"select gross_margin from raw.industry_segments where industry_segment = '{segment}'"
        )
        margin = seed_margin[0][0] if seed_margin and seed_margin[0][0] is not None else None
        margin = DEFAULT_MARGIN if margin is None else margin
        clv = (np.diff(cumulative, axis=1) @ discount) * spend.to_numpy() * margin
        np.testing.assert_allclose(c["predicted_clv"].astype(float), clv, atol=0.006, rtol=1e-6)


# -- edge cases --------------------------------------------------------------------------------


def test_segments_without_enough_repeat_buyers_get_pooled_parameters(
    parameters: pd.DataFrame,
) -> None:
    for segment in ("pet_supplies", "toys_games"):
        row = parameters.loc[segment]
        assert row["parameter_source"] == "pooled"
        assert bool(row["converged"])
        assert row["customers_fitted"] == parameters["customers_fitted"].max()
    assert parameters.loc["pet_supplies", "r"] == parameters.loc["toys_games", "r"]
    assert parameters.loc["pet_supplies", "r"] != parameters.loc["fashion", "r"]


def test_no_nan_or_infinity_reaches_the_marts(clv_warehouse: Warehouse) -> None:
    # pandas shows SQL nulls as NaN, so the check runs in SQL on the floating-point columns.
    marts = (
        "clv_model_parameters",
        "dim_customers",
        "rpt_clv_model_evaluation",
        "rpt_unit_economics",
    )
    columns = clv_warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type in ('DOUBLE', 'FLOAT')"
    )
    checked = 0
    for table, column in columns:
        if table not in marts:
            continue
        [(bad,)] = clv_warehouse.query(
            f"select count(*) from marts.{table} where not isfinite({column})"
        )
        assert bad == 0, (table, column)
        checked += 1
    assert checked >= 15


def test_edge_customers(customers: pd.DataFrame) -> None:
    today = customers.loc[("solo", "only_today")]
    assert (today["frequency"], today["recency_days"], today["tenure_days"]) == (0, 0, 0)
    assert today["probability_alive"] == 1.0
    assert today["predicted_purchases"] > 0 and today["predicted_clv"] > 0

    zero = customers.loc[("solo", "once_zero")]
    assert float(zero["historical_clv"]) == 0.0 and float(zero["monetary_value"]) == 0.0
    assert zero["predicted_clv"] > 0  # a one-time buyer gets the population mean spend

    zero_repeat = customers.loc[("edge", "zero_repeat")]
    assert (zero_repeat["frequency"], zero_repeat["recency_days"]) == (1, 50)
    assert float(zero_repeat["monetary_value"]) == 0.0
    assert zero_repeat["predicted_clv"] >= 0

    same_day = customers.loc[("edge", "same_day")]
    assert (same_day["frequency"], same_day["recency_days"], same_day["tenure_days"]) == (1, 15, 20)
    assert float(same_day["monetary_value"]) == 7.5
    assert float(same_day["historical_clv"]) == 32.5


# -- holdout evaluation ------------------------------------------------------------------------


def test_holdout_evaluation(
    clv_warehouse: Warehouse, raw_orders: pd.DataFrame, customers: pd.DataFrame
) -> None:
    report = clv_warehouse.df("select * from marts.rpt_clv_model_evaluation").set_index(
        "industry_segment"
    )
    holdout_days = (HOLDOUT_END - AS_OF).days
    later = raw_orders.loc[raw_orders["ordered_at"].dt.date > AS_OF]
    assert later["ordered_at"].dt.date.max() == HOLDOUT_END
    actual = (
        later.assign(day=later["ordered_at"].dt.date)
        .groupby(["store_id", "customer_id"])["day"]
        .nunique()
    )
    for store, segment in (("cdnow", "fashion"), ("sim", "grocery")):
        row = report.loc[segment]
        c = customers.loc[store]
        got = actual.loc[store].reindex(c.index, fill_value=0)
        pred = (
            _bg_from_row(
                clv_warehouse.df(
                    f"select * from marts.clv_model_parameters where industry_segment = '{segment}'"
                ).iloc[0]
            )
            .conditional_expected_number_of_purchases_up_to_time(
                holdout_days, c["frequency"], c["recency_days"], c["tenure_days"]
            )
            .to_numpy()
        )
        naive = np.where(
            c["tenure_days"] > 0, c["frequency"] / c["tenure_days"].clip(lower=1) * holdout_days, 0
        )
        assert row["holdout_days"] == holdout_days
        assert row["customers"] == len(c)
        assert row["actual_repeat_purchases"] == got.sum()
        assert row["predicted_repeat_purchases"] == pytest.approx(pred.sum(), rel=1e-6)
        assert row["naive_predicted_repeat_purchases"] == pytest.approx(naive.sum(), rel=1e-9)
        assert row["mean_absolute_error"] == pytest.approx(np.abs(got - pred).mean(), rel=1e-6)
        assert row["naive_mean_absolute_error"] == pytest.approx(
            np.abs(got - naive).mean(), rel=1e-9
        )
    # The correctly specified model predicts the simulated holdout well and beats the baseline.
    sim = report.loc["grocery"]
    assert sim["predicted_repeat_purchases"] == pytest.approx(
        sim["actual_repeat_purchases"], rel=0.1
    )
    assert sim["mean_absolute_error"] < sim["naive_mean_absolute_error"]


# -- next-purchase outlook ---------------------------------------------------------------------


def test_next_purchase_outlook_columns(clv_warehouse: Warehouse, customers: pd.DataFrame) -> None:
    """dim_customers' outlook = the closed forms on the fitted parameters (recomputed here)."""
    params = clv_warehouse.df("select * from marts.clv_model_parameters").set_index(
        "industry_segment"
    )
    sim = customers.loc["sim"]
    p = params.loc["grocery"]
    r, alpha = float(p["r"]), float(p["alpha"])
    x, T = sim["frequency"].to_numpy(float), sim["tenure_days"].to_numpy(float)
    alive = sim["probability_alive"].to_numpy(float)
    for t, column in ((30, "probability_purchase_30d"), (90, "probability_purchase_90d")):
        expected = alive * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))
        np.testing.assert_allclose(sim[column].to_numpy(float), expected, rtol=1e-9)
    median = (alpha + T) * (2 ** (1 / (r + x)) - 1)
    np.testing.assert_allclose(sim["median_days_to_next_purchase"], median, rtol=1e-9)
    dated = sim["expected_next_order_date"].notna()
    assert (dated == (sim["probability_alive"] >= 0.5)).all()
    offsets = (
        pd.to_datetime(sim.loc[dated, "expected_next_order_date"]) - pd.Timestamp(AS_OF)
    ).dt.days
    np.testing.assert_array_equal(offsets, np.ceil(median[dated.to_numpy()]))


def test_next_purchase_calibration(
    clv_warehouse: Warehouse, raw_orders: pd.DataFrame, customers: pd.DataFrame
) -> None:
    """rpt_next_purchase_calibration against pandas, and calibrated on the simulated store."""
    report = clv_warehouse.df("select * from marts.rpt_next_purchase_calibration order by 1, 2, 3")
    later = raw_orders.loc[raw_orders["ordered_at"].dt.date > AS_OF]
    first_later = later.groupby(["store_id", "customer_id"])["ordered_at"].min().dt.date
    for store, segment in (("cdnow", "fashion"), ("sim", "grocery")):
        c = customers.loc[store]
        first = first_later.loc[store].reindex(c.index)
        for horizon in (30, 90):
            rows = report[
                (report["industry_segment"] == segment) & (report["horizon_days"] == horizon)
            ]
            assert rows["prediction_decile"].tolist() == list(range(1, 11))
            predicted = c[f"probability_purchase_{horizon}d"].to_numpy(float)
            bought = (first.notna() & (first <= AS_OF + timedelta(days=horizon))).to_numpy()
            order = np.argsort(predicted, kind="stable")
            # ntile(10): the first n % 10 groups get one extra customer
            sizes = [len(c) // 10 + (1 if i < len(c) % 10 else 0) for i in range(10)]
            assert rows["customers"].tolist() == sizes
            bounds = np.cumsum([0, *sizes])
            for decile, row in enumerate(rows.itertuples()):
                members = order[bounds[decile] : bounds[decile + 1]]
                assert row.mean_predicted_probability == pytest.approx(
                    predicted[members].mean(), rel=1e-9
                )
            # overall shares do not depend on how ties are ranked
            assert (rows["actual_purchase_share"] * rows["customers"]).sum() == bought.sum()
            if store == "sim":
                # the correctly specified model is calibrated: overall and in every decile
                assert rows["mean_predicted_probability"].mul(rows["customers"]).sum() / len(
                    c
                ) == pytest.approx(bought.mean(), abs=0.015)
                assert rows["calibration_error"].abs().max() < 0.06, rows


# -- Great Expectations on a warehouse with a holdout period -------------------------------------

# mart, SQL, description of the expectation that must fail (see test_validate.CORRUPTIONS)
CLV_CORRUPTIONS: dict[str, tuple[str, str, str]] = {
    "rpt_clv_model_evaluation negative error": (
        "rpt_clv_model_evaluation",
        "update marts.rpt_clv_model_evaluation set mean_absolute_error = -1",
        "rpt_clv_model_evaluation: 0 <= mean_absolute_error",
    ),
    "rpt_clv_model_evaluation purchases differ from staged orders": (
        "rpt_clv_model_evaluation",
        "update marts.rpt_clv_model_evaluation set actual_repeat_purchases = "
        "actual_repeat_purchases + 1 where industry_segment = 'grocery'",
        "rpt_clv_model_evaluation: customers, actual purchase days after as_of_date",
    ),
    "rpt_clv_model_evaluation segment missing": (
        "rpt_clv_model_evaluation",
        "delete from marts.rpt_clv_model_evaluation where industry_segment = 'fashion'",
        "rpt_clv_model_evaluation: one row per converged segment",
    ),
}
CLV_MARTS = ["dim_customers", "clv_model_parameters", "rpt_clv_model_evaluation"]


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retention.validate.context import GX_DIR

    path = tmp_path_factory.mktemp("gx") / "gx"
    path.mkdir()
    shutil.copy(GX_DIR / "great_expectations.yml", path)
    return path


def test_clv_suites_pass_on_a_warehouse_with_a_holdout(
    clv_warehouse: Warehouse, gx_dir: Path
) -> None:
    from retention.validate.checkpoint import run_checkpoint

    assert clv_warehouse.query("select count(*) from marts.rpt_clv_model_evaluation")[0][0] >= 2
    report = run_checkpoint(clv_warehouse.path, require_all=True, only=CLV_MARTS, gx_dir=gx_dir)
    assert report.success, report.failed + report.skipped
    assert [s.mart for s in report.suites] == CLV_MARTS


@pytest.mark.parametrize("name", sorted(CLV_CORRUPTIONS))
def test_clv_suites_fail_on_corruption(
    name: str, clv_warehouse: Warehouse, gx_dir: Path, tmp_path: Path
) -> None:
    import duckdb

    from retention.validate.checkpoint import run_checkpoint

    mart, sql, expectation = CLV_CORRUPTIONS[name]
    copy = tmp_path / "clv.duckdb"
    shutil.copy(clv_warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(sql)
    report = run_checkpoint(copy, only=[mart], gx_dir=gx_dir)
    assert not report.success
    assert any(failure.startswith(expectation) for failure in report.failed), report.failed
