"""Retention-uplift projection (retention.scenarios): hand-computed examples.

The same examples are dbt unit tests of rpt_retention_scenarios
(models/marts/retention/_retention__unit_tests.yml), so the SQL closed form and this
month-by-month recursion are checked against the same hand-computed numbers.
"""

from __future__ import annotations

import pytest

from retention.scenarios import ScenarioInputs, project

# monthly retention exactly 0.9: yearly CRR 0.9^12
STORE = ScenarioInputs(
    active_customers=200.0,
    new_customers_per_month=10.0,
    yearly_crr=0.9**12,
    net_revenue_per_active_customer_month=5.0,
    gross_margin=0.4,
)


def test_unchanged_projection_by_hand() -> None:
    result = project(STORE, 0.0, 2)
    # month 1: 200 x 0.9 + 10 = 190; month 2: 190 x 0.9 + 10 = 181
    assert result.monthly_retention == pytest.approx(0.9)
    assert result.projected_active_customers == pytest.approx(181.0)
    # revenue: (190 + 181) x 5 = 1855; gross margin 40 % = 742
    assert result.projected_net_revenue == pytest.approx(1855.0)
    assert result.projected_gross_margin == pytest.approx(742.0)
    assert result.net_revenue_gain_vs_unchanged == 0.0


def test_uplift_to_full_retention_by_hand() -> None:
    store = ScenarioInputs(200.0, 10.0, 0.9, 5.0, 0.4)
    result = project(store, 10.0, 2)
    # yearly 0.9 + 10 points = 1.0: nobody leaves; 210 then 220 customers
    assert result.scenario_yearly_crr == pytest.approx(1.0)
    assert result.projected_active_customers == pytest.approx(220.0)
    assert result.projected_net_revenue == pytest.approx(5.0 * (210.0 + 220.0))
    # unchanged: q = 0.9^(1/12) = 0.9912583; 208.2517 then 216.4312 customers
    q = 0.9 ** (1 / 12)
    a1 = 200 * q + 10
    a2 = a1 * q + 10
    assert a2 == pytest.approx(216.4312, abs=1e-4)
    assert result.net_revenue_gain_vs_unchanged == pytest.approx(2150.0 - 5.0 * (a1 + a2))


def test_gain_grows_with_uplift_and_horizon() -> None:
    gains = [project(STORE, u, h).net_revenue_gain_vs_unchanged for h in (12, 36) for u in (1, 5)]
    assert 0 < gains[0] < gains[1]
    assert 0 < gains[2] < gains[3]
    assert gains[0] < gains[2]


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="horizon"):
        project(STORE, 0.0, 0)
    with pytest.raises(ValueError, match="negative"):
        project(STORE, -200.0, 12)


@pytest.mark.slow
def test_warehouse_projection_matches_the_recursion(sample_warehouse) -> None:
    """rpt_retention_scenarios (closed form in SQL) against the month-by-month recursion."""
    rows = sample_warehouse.df("select * from marts.rpt_retention_scenarios")
    assert len(rows) > 0
    assert set(rows["crr_uplift_points"]) == {0, 1, 2, 5, 10}
    assert set(rows["horizon_months"]) == {12, 36}
    checked = 0
    for row in rows.itertuples():
        if row.current_crr != row.current_crr:  # NaN: no customer a year ago
            continue
        inputs = ScenarioInputs(
            active_customers=float(row.starting_active_customers),
            new_customers_per_month=row.new_customers_per_month,
            yearly_crr=row.current_crr,
            net_revenue_per_active_customer_month=row.net_revenue_per_active_customer_month,
            gross_margin=row.gross_margin,
        )
        expected = project(inputs, row.crr_uplift_points, int(row.horizon_months))
        assert row.projected_active_customers == pytest.approx(
            expected.projected_active_customers, rel=1e-9
        )
        assert row.projected_net_revenue == pytest.approx(expected.projected_net_revenue, rel=1e-9)
        assert row.projected_gross_margin == pytest.approx(
            expected.projected_gross_margin, rel=1e-9
        )
        assert row.net_revenue_gain_vs_unchanged == pytest.approx(
            expected.net_revenue_gain_vs_unchanged, rel=1e-9, abs=1e-6
        )
        checked += 1
    assert checked > 0
