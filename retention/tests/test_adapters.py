"""Store-export adapters (RAW_FORMAT): each fixture builds the real warehouse.

Fixtures in data/adapters/<format>/ were written by hand from the public
column documentation (no real people). Every expected number below is worked
out by hand from the fixture rows, with the arithmetic next to it. FX: the
fx_rates seed has EUR 2024 = 1.08, GBP 2024 = 1.28, CAD 2024 = 0.73 USD.
One dbt build per format and identity mode (~30-60 s each).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from retention.dbt import dbt_env, run_dbt
from retention.tests.conftest import DATA_DIR, Warehouse

D = Decimal
ADAPTERS = DATA_DIR / "adapters"
SALT = os.environ.get("PII_HASH_SALT", "retention-warehouse")
# what the identity tests read: a partial build is faster
EMAIL_MODE_MODELS = (
    "+fct_retention_periods +fct_cohort_retention"
    " +stg_shop__rejects +stg_shop__customers +stg_shop__carts"
)


def email_key(email: str) -> str:
    """The salted hash the warehouse keys customers by (macro hash_pii)."""
    return hashlib.sha256((SALT + email.strip().lower()).encode()).hexdigest()


def build(
    factory: pytest.TempPathFactory,
    raw: Path,
    raw_format: str,
    vars: dict[str, object] | None = None,
    select: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Warehouse:
    directory = factory.mktemp(f"{raw.name}_{raw_format}")
    path = directory / "warehouse.duckdb"
    env = dbt_env(
        raw_data_dir=raw,
        warehouse_path=path,
        target_path=directory / "target",
        extra={"RAW_FORMAT": raw_format, **(extra_env or {})},
    )
    # a partial build runs only the tests of the selected models
    command = ["build"] + (
        ["--select", select, "--indirect-selection", "cautious"] if select else []
    )
    result = run_dbt(command, vars=vars, env=env)
    if not result.ok:
        pytest.fail(f"dbt build ({raw_format}, {vars}) failed:\n{result.output[-6000:]}")
    return Warehouse(path, result, directory / "target")


def net_revenue_by_store(warehouse: Warehouse) -> dict[str, Decimal]:
    rows = warehouse.query("select store_id, sum(net_revenue) from marts.fct_orders group by 1")
    return dict(rows)


def cohort_sizes(warehouse: Warehouse) -> dict[tuple[str, str], int]:
    rows = warehouse.query(
        "select store_id, cast(cohort_month as varchar), cohort_size"
        " from marts.fct_cohort_retention where months_since_first_order = 0"
    )
    return {(store, month): size for store, month, size in rows}


def monthly_returning(warehouse: Warehouse) -> dict[tuple[str, str], tuple[int, int, float | None]]:
    rows = warehouse.query(
        "select store_id, cast(period_start as varchar), purchasing_customers, returning_customers,"
        " returning_customer_rate from marts.fct_retention_periods where period_grain = 'month'"
    )
    return {
        (store, start): (purchasing, returning, rate)
        for store, start, purchasing, returning, rate in rows
    }


def assert_rejects_reconcile(warehouse: Warehouse, expected_rejects: dict[str, int]) -> None:
    """raw rows = accepted + rejected, per raw table, with the expected rejects."""
    pairs = {
        "orders": "stg_shop__orders",
        "refunds": "stg_shop__refunds",
        "customers": "stg_shop__customers",
        "carts": "stg_shop__carts",
        "stores": "stg_shop__stores",
    }
    for table, staged in pairs.items():
        (raw,) = warehouse.query(f"select count(*) from raw.raw_{table}")[0]
        (accepted,) = warehouse.query(f"select count(*) from staging.{staged}")[0]
        (rejected,) = warehouse.query(
            f"select count(*) from staging.stg_shop__rejects where raw_table = '{table}'"
        )[0]
        assert raw == accepted + rejected, table
        assert rejected == expected_rejects.get(table, 0), table


# --- Shopify admin orders export (CSV) -------------------------------------


@pytest.fixture(scope="module")
def shopify(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build(tmp_path_factory, ADAPTERS / "shopify_csv", "shopify_csv")


def test_shopify_orders(shopify: Warehouse) -> None:
    rows = shopify.query(
        "select store_id, order_id, status, net_revenue, discount_amount from marts.fct_orders"
    )
    orders = {
        (store, order): (status, net, discount) for store, order, status, net, discount in rows
    }
    assert orders == {
        # #1001: 2 x 25.00 + 40.00 = 90.00 of items; Subtotal 81.00 is net of the
        # 9.00 discount -> net 81.00 (line items read across its two rows)
        ("shop_a", "5001"): ("completed", D("81.00"), D("9.00")),
        # partially_refunded -> completed; 60.00 - 20.00 refunded
        ("shop_a", "5002"): ("completed", D("40.00"), D("0.00")),
        ("shop_a", "5003"): ("completed", D("30.00"), D("0.00")),
        # voided + Cancelled at -> cancelled: not a purchase
        ("shop_a", "5004"): ("cancelled", D("0.00"), D("0.00")),
        # refunded: Refunded Amount 35.00 includes 3.00 tax -> capped at Subtotal 32.00
        ("shop_a", "5006"): ("refunded", D("0.00"), D("0.00")),
        ("shop_a", "5007"): ("pending", D("0.00"), D("0.00")),
        ("shop_a", "5008"): ("completed", D("55.00"), D("0.00")),
        # shop_b reuses the Name #1001..#1004; its orders are keyed by Id. EUR x 1.08
        ("shop_b", "7001"): ("completed", D("48.60"), D("0.00")),  # (3 x 10 + 15) x 1.08
        ("shop_b", "7002"): ("completed", D("77.76"), D("8.64")),  # 86.40 - 8.64
        ("shop_b", "7003"): ("completed", D("21.60"), D("0.00")),
        ("shop_b", "7004"): ("completed", D("12.96"), D("0.00")),  # POS guest without e-mail
    }
    # #1005 paid with the Bogus gateway is a test order: not in the warehouse
    assert net_revenue_by_store(shopify) == {
        "shop_a": D("206.00"),  # 81 + 40 + 30 + 0 + 55
        "shop_b": D("160.92"),  # 48.60 + 77.76 + 21.60 + 12.96
    }


def test_shopify_customers_are_emails(shopify: Warehouse) -> None:
    rows = shopify.query("select store_id, order_id, customer_id from marts.fct_orders")
    customer = {(store, order): key for store, order, key in rows}
    # ' Alice@Example.com ' of #1003 is alice@example.com of #1001: one customer
    assert (
        customer[("shop_a", "5001")]
        == customer[("shop_a", "5003")]
        == email_key("alice@example.com")
    )
    assert customer[("shop_b", "7004")] is None  # no e-mail: a guest, not a customer
    # never clear text
    (clear,) = shopify.query(
        "select count(*) from raw.raw_customers"
        " where email_hash like '%@%' or customer_id like '%@%'"
    )[0]
    assert clear == 0
    assert cohort_sizes(shopify) == {
        ("shop_a", "2024-01-01"): 2,  # alice, bob
        ("shop_a", "2024-04-01"): 1,  # gina (dave's April order is pending)
        ("shop_b", "2024-02-01"): 2,  # erin, frank
    }


def test_shopify_returning_customer_rate(shopify: Warehouse) -> None:
    assert monthly_returning(shopify) == {
        ("shop_a", "2024-01-01"): (2, 0, 0.0),  # alice, bob: first purchases
        ("shop_a", "2024-02-01"): (0, 0, None),  # carol's order is cancelled
        ("shop_a", "2024-03-01"): (1, 1, 1.0),  # alice returns
        # bob returns (his refunded order is a purchase), gina is new
        ("shop_a", "2024-04-01"): (2, 1, 0.5),
        ("shop_b", "2024-02-01"): (2, 0, 0.0),  # erin, frank
        ("shop_b", "2024-03-01"): (0, 0, None),
        ("shop_b", "2024-04-01"): (1, 1, 1.0),  # erin returns; the POS guest is not a customer
    }
    # industry roll-up: counts summed, ratio recomputed (one store per segment here)
    rows = shopify.query(
        "select industry_segment, purchasing_customers, returning_customers,"
        " returning_customer_rate from marts.rpt_retention_by_industry"
        " where period_grain = 'quarter' and period_start = date '2024-04-01'"
    )
    assert sorted(rows) == [("fashion", 2, 1, 0.5), ("health_beauty", 1, 1, 1.0)]


def test_shopify_rejects_reconcile(shopify: Warehouse) -> None:
    assert_rejects_reconcile(shopify, {})
    # one raw order per order (line items folded), the test order left out
    assert shopify.query("select count(*) from raw.raw_orders")[0][0] == 11


# --- WooCommerce order export (CSV) ----------------------------------------

WOOCOMMERCE_VARS: dict[str, object] = {"max_rejected_share": 0.1}


@pytest.fixture(scope="module")
def woocommerce(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    # the fixture rejects 1 of its 11 orders on purpose (a plugin status): above the
    # default max_rejected_share of 5 %, which would fail the build
    return build(
        tmp_path_factory,
        ADAPTERS / "woocommerce_csv",
        "woocommerce_csv",
        vars=WOOCOMMERCE_VARS,
    )


def test_woocommerce_orders(woocommerce: Warehouse) -> None:
    rows = woocommerce.query(
        "select store_id, order_id, customer_id, status, net_revenue from marts.fct_orders"
    )
    orders = {
        (store, order): (customer, status, net) for store, order, customer, status, net in rows
    }
    assert orders == {
        # GBP x 1.28: (2 x 20 + 25) = 65.00 of items - 6.50 coupon = 58.50 -> 74.88
        ("woo_a", "101"): ("12", "completed", D("74.88")),
        # processing (paid, not shipped) -> completed; customer_id 0 = guest
        ("woo_a", "102"): (None, "completed", D("38.40")),
        # refund order 105 (parent 103): |-12.00| - |-2.00| tax = 10.00 -> (50 - 10) x 1.28
        ("woo_a", "103"): ("12", "completed", D("51.20")),
        ("woo_a", "104"): (None, "completed", D("25.60")),
        ("woo_a", "106"): ("15", "cancelled", D("0.00")),  # failed payment
        # refunded_total 28.80 includes 4.80 tax: capped at the 24.00 of items
        ("woo_a", "109"): ("17", "refunded", D("0.00")),
        ("woo_a", "110"): ("18", "pending", D("0.00")),  # on-hold
        ("woo_b", "201"): ("3", "completed", D("20.00")),
        ("woo_b", "202"): ("4", "completed", D("55.00")),
        ("woo_b", "203"): ("3", "completed", D("15.00")),
    }
    # 108 (trash) is deleted: left out; 107 ('wc-shipped', a plugin's status) is rejected
    assert net_revenue_by_store(woocommerce) == {"woo_a": D("190.08"), "woo_b": D("90.00")}
    # order_date is the site's local time: 23:30 in Chicago (UTC-6) = 05:30 UTC next day
    (ordered_at,) = woocommerce.query(
        "select ordered_at from raw.raw_orders where order_id = '201'"
    )[0]
    assert ordered_at == "2024-02-06 05:30:00+00:00"
    assert cohort_sizes(woocommerce) == {
        ("woo_a", "2024-01-01"): 1,  # customer 12; kim is a guest (customer_id 0)
        ("woo_a", "2024-04-01"): 1,  # customer 17
        ("woo_b", "2024-02-01"): 2,
    }
    assert monthly_returning(woocommerce) == {
        ("woo_a", "2024-01-01"): (1, 0, 0.0),
        ("woo_a", "2024-02-01"): (1, 1, 1.0),  # customer 12 again
        ("woo_a", "2024-03-01"): (0, 0, None),  # kim's return is a guest order
        ("woo_a", "2024-04-01"): (1, 0, 0.0),
        ("woo_b", "2024-02-01"): (2, 0, 0.0),
        ("woo_b", "2024-03-01"): (0, 0, None),
        ("woo_b", "2024-04-01"): (1, 1, 1.0),  # sam returns
    }


def test_woocommerce_rejects_reconcile(woocommerce: Warehouse) -> None:
    assert_rejects_reconcile(woocommerce, {"orders": 1})
    assert woocommerce.query("select record_key, reject_reason from staging.stg_shop__rejects") == [
        ("woo_a|107", "unknown_status")
    ]


def test_woocommerce_by_email(tmp_path_factory: pytest.TempPathFactory) -> None:
    warehouse = build(
        tmp_path_factory,
        ADAPTERS / "woocommerce_csv",
        "woocommerce_csv",
        vars={**WOOCOMMERCE_VARS, "customer_identity": "email"},
        select=EMAIL_MODE_MODELS,
    )
    kim = email_key("kim@example.org")
    rows = warehouse.query(
        "select order_id, customer_id from marts.fct_orders where store_id = 'woo_a'"
    )
    assert dict(rows)["102"] == dict(rows)["104"] == kim  # 'KIM@example.org ' of 104 too
    assert cohort_sizes(warehouse)[("woo_a", "2024-01-01")] == 2  # jane and kim
    assert monthly_returning(warehouse)[("woo_a", "2024-03-01")] == (1, 1, 1.0)  # kim returns


# --- Fivetran Shopify connector tables (Parquet) ---------------------------


@pytest.fixture(scope="module")
def fivetran(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build(tmp_path_factory, ADAPTERS / "fivetran_shopify", "fivetran_shopify")


def test_fivetran_orders(fivetran: Warehouse) -> None:
    rows = fivetran.query(
        "select store_id, order_id, customer_id, status, net_revenue, device,"
        " cast(order_date as varchar) from marts.fct_orders"
    )
    orders = {(r[0], r[1]): r[2:] for r in rows}
    assert orders == {
        # 80.00 of line items - 8.00 total_discounts; shop currency USD (presentment EUR)
        ("ft_a", "1001"): ("501", "completed", D("72.00"), "desktop", "2024-01-08"),
        ("ft_a", "1002"): ("502", "completed", D("50.00"), "mobile", "2024-01-15"),
        # refund 7001: line subtotal 25.00 - refund_discrepancy -1.50 = 26.50
        # (the -5.00 shipping refund is not net revenue) -> 65.00 - 26.50
        ("ft_a", "1003"): ("501", "completed", D("38.50"), "tablet", "2024-02-14"),
        # bea's guest checkout got a new customer id from Shopify
        ("ft_a", "1004"): ("504", "completed", D("35.00"), None, "2024-03-10"),
        ("ft_a", "1007"): ("505", "cancelled", D("0.00"), "desktop", "2024-03-20"),
        ("ft_a", "1008"): ("501", "completed", D("45.00"), "desktop", "2024-04-03"),
        ("ft_a", "1009"): ("506", "pending", D("0.00"), "desktop", "2024-04-09"),
        # imported order: processed_at 2023-12-20 is its date, not created_at 2024-04-05
        ("ft_a", "1010"): ("507", "completed", D("100.00"), None, "2023-12-20"),
        # CAD x 0.73: (2 x 50 - 10) = 90.00 -> 65.70; 40.00 -> 29.20
        ("ft_b", "2001"): ("601", "completed", D("65.70"), "desktop", "2024-02-02"),
        ("ft_b", "2002"): ("601", "completed", D("29.20"), "desktop", "2024-04-20"),
    }
    # 1005 (test = true, with its refund) and 1006 (_fivetran_deleted) are left out
    assert net_revenue_by_store(fivetran) == {
        "ft_a": D("340.50"),  # 72 + 50 + 38.50 + 35 + 45 + 100
        "ft_b": D("94.90"),
    }
    assert cohort_sizes(fivetran) == {
        ("ft_a", "2023-12-01"): 1,  # eve
        ("ft_a", "2024-01-01"): 2,  # ann (501), bea (502)
        ("ft_a", "2024-03-01"): 1,  # bea again as 504: the guest-checkout trap of customer ids
        ("ft_b", "2024-02-01"): 1,
    }
    assert monthly_returning(fivetran) == {
        ("ft_a", "2023-12-01"): (1, 0, 0.0),
        ("ft_a", "2024-01-01"): (2, 0, 0.0),
        ("ft_a", "2024-02-01"): (1, 1, 1.0),
        ("ft_a", "2024-03-01"): (1, 0, 0.0),  # 504 looks new
        ("ft_a", "2024-04-01"): (1, 1, 1.0),
        ("ft_b", "2024-02-01"): (1, 0, 0.0),
        ("ft_b", "2024-03-01"): (0, 0, None),
        ("ft_b", "2024-04-01"): (1, 1, 1.0),
    }


def test_fivetran_stores_carts_and_rejects(fivetran: Warehouse) -> None:
    stores = fivetran.query(
        "select store_id, industry_segment, currency, timezone from staging.stg_shop__stores"
    )
    # ft_a from stores.csv; ft_b has no stores.csv row: the shop table's currency and zone
    assert sorted(stores) == [
        ("ft_a", "fashion", "USD", "America/Los_Angeles"),
        ("ft_b", "unclassified", "CAD", "America/Toronto"),
    ]
    carts = fivetran.query("select cart_id, order_id from staging.stg_shop__carts")
    # checkout 9002 became order 1008; 9001 was abandoned
    assert sorted(carts, key=str) == [("9001", None), ("9002", "1008")]
    assert_rejects_reconcile(fivetran, {})


def test_fivetran_by_email(tmp_path_factory: pytest.TempPathFactory) -> None:
    warehouse = build(
        tmp_path_factory,
        ADAPTERS / "fivetran_shopify",
        "fivetran_shopify",
        vars={"customer_identity": "email"},
        select=EMAIL_MODE_MODELS,
    )
    rows = warehouse.query(
        "select order_id, customer_id from marts.fct_orders where store_id = 'ft_a'"
    )
    assert dict(rows)["1002"] == dict(rows)["1004"] == email_key("bea@example.com")
    assert ("ft_a", "2024-03-01") not in cohort_sizes(warehouse)
    assert cohort_sizes(warehouse)[("ft_a", "2024-01-01")] == 2
    assert monthly_returning(warehouse)[("ft_a", "2024-03-01")] == (1, 1, 1.0)  # bea returns
    assert_rejects_reconcile(warehouse, {})


def fivetran_database(directory: Path, schemas: dict[str, str]) -> Path:
    """The Parquet fixture as a DuckDB file like a Fivetran destination's:
    one schema per connector, here schema <- store folder of `schemas`."""
    path = directory / "fivetran.duckdb"
    with duckdb.connect(str(path)) as con:
        for schema, folder in schemas.items():
            con.execute(f'create schema "{schema}"')
            for table in sorted((ADAPTERS / "fivetran_shopify" / folder).glob("*.parquet")):
                con.execute(
                    f'create table "{schema}"."{table.stem}" as select * from read_parquet(?)',
                    [str(table)],
                )
    return path


def test_fivetran_from_an_attached_database(
    fivetran: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """RAW_DATABASE: the same tables in a DuckDB file give the same warehouse."""
    directory = tmp_path_factory.mktemp("fivetran_database")
    database = fivetran_database(directory, {"ft_a": "ft_a", "ft_b": "ft_b"})
    # the folder keeps only the contract stores.csv (segment, zone of ft_a)
    raw = directory / "raw"
    raw.mkdir()
    shutil.copy(ADAPTERS / "fivetran_shopify" / "stores.csv", raw)
    warehouse = build(
        tmp_path_factory,
        raw,
        "fivetran_shopify",
        select=EMAIL_MODE_MODELS + " +stg_shop__stores",
        extra_env={"RAW_DATABASE": str(database)},
    )
    for relation in (
        "marts.fct_orders",
        "marts.fct_retention_periods",
        "marts.fct_cohort_retention",
        "staging.stg_shop__stores",
        "staging.stg_shop__carts",
        "staging.stg_shop__customers",
    ):
        sql = f"select * from {relation} order by all"
        assert warehouse.query(sql) == fivetran.query(sql), relation
    # each raw row names its table in the database; the raw views read it attached
    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        con.execute(f"attach '{database}' as raw_export (read_only)")
        sql = "select distinct _source_file from raw.raw_orders order by 1"
        sources = con.execute(sql).fetchall()
        assert sources == [(f"{database}/ft_a/order",), (f"{database}/ft_b/order",)]
        for table in ("orders", "refunds", "customers", "carts", "stores"):
            raw_rows = con.execute(f"select count(*) from raw.raw_{table}").fetchone()[0]
            parquet_rows = fivetran.query(f"select count(*) from raw.raw_{table}")[0][0]
            assert raw_rows == parquet_rows, table


def test_fivetran_database_without_order_tables_is_named(tmp_path: Path) -> None:
    database = fivetran_database(tmp_path, {"shopify": "ft_b"})
    with duckdb.connect(str(database)) as con:
        con.execute('drop table shopify."order"')
    env = dbt_env(
        raw_data_dir=tmp_path,
        warehouse_path=tmp_path / "w.duckdb",
        target_path=tmp_path / "target",
        extra={"RAW_FORMAT": "fivetran_shopify", "RAW_DATABASE": str(database)},
    )
    result = run_dbt(["run", "--select", "raw_orders"], env=env)
    assert not result.ok
    assert "no schema of RAW_DATABASE=" in result.output
    assert "schemas found: shopify" in result.output


# --- contract format, customer_identity = email ----------------------------


def test_contract_by_email(tmp_path_factory: pytest.TempPathFactory) -> None:
    warehouse = build(
        tmp_path_factory,
        ADAPTERS / "contract_email",
        "contract",
        vars={"customer_identity": "email"},
        select=EMAIL_MODE_MODELS,
    )
    ann = email_key("ann@mail.test")
    rows = dict(warehouse.query("select order_id, customer_id from marts.fct_orders"))
    # C1 and C2 share an e-mail; C3 has none and C9 no customers row: they keep their ids
    assert rows == {"O1": ann, "O2": ann, "O3": "C3", "O4": None, "O5": "C9"}
    assert monthly_returning(warehouse)[("S1", "2024-02-01")] == (2, 1, 0.5)  # ann returns, C3 new
    # ann's profile is her first customers row (accepts marketing); nothing rejected
    profile = warehouse.query(
        f"select accepts_marketing from staging.stg_shop__customers where customer_id = '{ann}'"
    )
    assert profile == [(True,)]
    assert_rejects_reconcile(warehouse, {})


# --- errors -----------------------------------------------------------------


def test_shopify_export_without_a_required_column_stops_the_build(tmp_path: Path) -> None:
    raw = tmp_path / "exports"
    shutil.copytree(ADAPTERS / "shopify_csv", raw)
    export = raw / "shop_b" / "orders_export_1.csv"
    lines = export.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("Financial Status")
    export.write_text(
        "\n".join(
            ",".join(v for i, v in enumerate(line.split(",")) if i != column) for line in lines
        )
        + "\n"
    )
    env = dbt_env(
        raw_data_dir=raw,
        warehouse_path=tmp_path / "w.duckdb",
        target_path=tmp_path / "target",
        extra={"RAW_FORMAT": "shopify_csv"},
    )
    result = run_dbt(["run", "--select", "raw_orders"], env=env)
    assert not result.ok
    assert "orders_export_1.csv' lacks required column(s): Financial Status" in result.output


def test_unknown_raw_format_is_named(tmp_path: Path) -> None:
    env = dbt_env(
        raw_data_dir=ADAPTERS / "shopify_csv",
        warehouse_path=tmp_path / "w.duckdb",
        target_path=tmp_path / "target",
        extra={"RAW_FORMAT": "magento"},
    )
    result = run_dbt(["run", "--select", "raw_orders"], env=env)
    assert not result.ok
    assert "RAW_FORMAT='magento' is not a known raw format" in result.output
