"""The build does not depend on the host, and money follows the reporting currency.

One dataset: the tiny one plus a GBP order of the Berlin store on
2024-12-20, refunded in part on 2025-01-10 — the bundled FX rates change at
the new year, so the refund month's rate differs from the order month's.
It is built with reporting_currency EUR and as_of_date 2025-01-31 twice,
under two host time zones on either side of the date line
(TZ=Pacific/Auckland, UTC+13 in summer, with the data tests;
TZ=America/Los_Angeles, UTC-8, models only): dbt, DuckDB and the Python
CLV models run in that zone. The two warehouses
must be equal; the amounts must equal an independent conversion from
seeds/fx_rates.csv, at the ORDER month's rate for the refund too
(DECISIONLOG.md "FX rate of a refund"); the report writes euros.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from retention.dbt import PROJECT_ROOT
from retention.report.__main__ import build_report
from retention.tests.conftest import DATA_DIR, Warehouse, build_once
from retention.tests.test_incremental import differences

REPORTING = "EUR"
AS_OF = "2025-01-31"
ZONES = {"auckland": "Pacific/Auckland", "los_angeles": "America/Los_Angeles"}
LATE_ORDER = "O10,S2,C3,2024-12-20 10:00:00,completed,GBP,200.00,0,0,0,web,desktop,\n"
LATE_REFUND = "R2,S2,O10,2025-01-10 10:00:00,50.00\n"

pytestmark = pytest.mark.slow  # two dbt builds of the tiny dataset


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("environment_raw")
    for file in (DATA_DIR / "tiny").glob("*.csv"):
        shutil.copy(file, out / file.name)
    with open(out / "orders.csv", "a") as handle:
        handle.write(LATE_ORDER)
    with open(out / "refunds.csv", "a") as handle:
        handle.write(LATE_REFUND)
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, raw: Path) -> dict[str, Warehouse]:
    """The same build under each time zone, both at once (one dbt process each);
    the data tests run in the first zone's build (the second's relations are
    compared with it)."""
    variables = {"reporting_currency": REPORTING, "as_of_date": AS_OF}
    first = next(iter(ZONES))

    def build(name: str) -> Warehouse:
        command = ("build",) if name == first else ("build", "--exclude", "resource_type:test")
        return build_once(
            tmp_path_factory,
            raw,
            name,
            command=command,
            vars=variables,
            extra_env={"TZ": ZONES[name]},
        )

    with ThreadPoolExecutor(max_workers=len(ZONES)) as pool:
        return dict(zip(ZONES, pool.map(build, ZONES), strict=True))


@pytest.fixture(scope="module")
def eur(builds: dict[str, Warehouse]) -> Warehouse:
    return builds["auckland"]


def _rates() -> pd.DataFrame:
    rates = pd.read_csv(PROJECT_ROOT / "seeds" / "fx_rates.csv", parse_dates=["month"])
    return rates.set_index(["currency", "month"])["rate_to_usd"]


def _to_reporting(amount: float, currency: str, month: pd.Timestamp) -> Decimal:
    rates = _rates()
    rate = float(rates[(currency, month)]) / float(rates[(REPORTING, month)])
    return Decimal(repr(amount * rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_the_host_time_zone_changes_nothing(builds: dict[str, Warehouse]) -> None:
    auckland, los_angeles = builds["auckland"], builds["los_angeles"]
    assert auckland.query("select count(*) from marts.fct_orders")[0][0] >= 9
    assert differences(auckland.path, los_angeles.path) == {}


def test_money_is_converted_to_the_reporting_currency(eur: Warehouse) -> None:
    assert eur.query("select reporting_currency from intermediate.int_run_parameters") == [
        (REPORTING,)
    ]
    orders = eur.df(
        "select orders.order_id, orders.order_currency, orders.subtotal_amount, "
        "raw.subtotal_amount as raw_subtotal, orders.ordered_at "
        "from marts.fct_orders as orders join staging.stg_shop__orders as raw using "
        "(store_id, order_id)"
    )
    assert set(orders["order_currency"]) >= {"USD", "EUR", "GBP"}
    for row in orders.itertuples():
        month = pd.Timestamp(row.ordered_at).to_period("M").to_timestamp()
        expected = _to_reporting(float(row.raw_subtotal), row.order_currency, month)
        assert Decimal(str(row.subtotal_amount)) == expected, row.order_id


def test_a_late_refund_is_converted_at_the_order_months_rate(eur: Warehouse) -> None:
    """DECISIONLOG: the refund of an order is converted with the order (its month's rate)."""
    ((net, refund),) = eur.query(
        "select net_revenue, refund_amount from marts.fct_orders where order_id = 'O10'"
    )
    order_month, refund_month = pd.Timestamp("2024-12-01"), pd.Timestamp("2025-01-01")
    at_order_rate = _to_reporting(50.0, "GBP", order_month)
    at_refund_rate = _to_reporting(50.0, "GBP", refund_month)
    assert at_order_rate != at_refund_rate  # the data exercises the decision
    assert refund == at_order_rate
    assert net == _to_reporting(200.0, "GBP", order_month) - at_order_rate


def test_the_report_writes_the_reporting_currency(eur: Warehouse, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    build_report(eur.path, out)
    html = out.read_text()
    assert "money in EUR (reporting currency)" in html
    aov = re.findall(r"data-kpi='AOV — [^']*'><th>[^<]*</th><td class='value'>([^<]*)<", html)
    assert aov and all(value.startswith("€") for value in aov), aov
    text = re.sub(r"<(script|style)>.*?</\1>", "", html, flags=re.S)
    assert "$" not in text
