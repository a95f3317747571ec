"""fct_orders and dim_customers on a dataset whose answers were worked out by hand.

The arithmetic for each expected value is written next to it. FX: the
fx_rates seed has EUR 2024 = 1.08 USD and GBP 2024 = 1.28 USD.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from retention.tests.conftest import Warehouse

D = Decimal
JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)

# (order_id): (status, customer_id, net_revenue, discount, refund, customer_order_number,
#              is_first_order, days_since_previous_order, cohort_month, months_since_first)
EXPECTED_ORDERS = {
    # O1: 100.00 - 10.00 discount; tax and shipping excluded
    "O1": ("completed", "C1", D("90.00"), D("10.00"), D("0.00"), 1, True, None, JAN, 0),
    # O2: same day as O1, later in the day -> second purchase, 0 days
    "O2": ("completed", "C1", D("50.00"), D("0.00"), D("0.00"), 2, False, 0, JAN, 0),
    # O3: refunded order is still a purchase: 80.00 - 30.00 partial refund;
    #     2024-01-05 -> 2024-03-10 = 26 + 29 (leap February) + 10 = 65 days
    "O3": ("refunded", "C1", D("50.00"), D("0.00"), D("30.00"), 3, False, 65, JAN, 2),
    # O4: guest checkout: revenue counts in fct_orders, no customer sequence
    "O4": ("completed", None, D("40.00"), D("0.00"), D("0.00"), None, None, None, None, None),
    # O5: cancelled -> not a purchase, net revenue 0; C2's cohort comes from O6
    "O5": ("cancelled", "C2", D("0.00"), D("0.00"), D("0.00"), None, None, None, MAR, None),
    # O6: no currency -> the store's USD; 30.00 - 5.00; 2024-04-01 00:00 UTC is
    #     2024-03-31 20:00 in S1's America/New_York: a March order, March cohort
    "O6": ("completed", "C2", D("25.00"), D("5.00"), D("0.00"), 1, True, None, MAR, 0),
    # O7: EUR at 1.08: subtotal 108.00, discount 21.60 -> 86.40
    "O7": ("completed", "C3", D("86.40"), D("21.60"), D("0.00"), 1, True, None, FEB, 0),
    # O8: GBP at 1.28: 50.00 -> 64.00; 'Completed' and 'gbp' normalised;
    #     2024-02-10 -> 2024-05-20 = 19 + 31 + 30 + 20 = 100 days; Feb -> May = 3 months
    "O8": ("completed", "C3", D("64.00"), D("0.00"), D("0.00"), 2, False, 100, FEB, 3),
    # O9: pending -> not a purchase; its date sets as_of_date = 2024-06-30
    "O9": ("pending", "C1", D("0.00"), D("0.00"), D("0.00"), None, None, None, JAN, None),
}

# (store_id, customer_id): (segment, orders_count, net_revenue, aov, first_order_at,
#                           last_order_at, cohort_month, is_loyalty_member)
EXPECTED_CUSTOMERS = {
    # 90 + 50 + 50 = 190.00 over 3 purchases -> AOV 63.33
    ("S1", "C1"): (
        "grocery",
        3,
        D("190.00"),
        D("63.33"),
        datetime(2024, 1, 5, 10, 0),
        datetime(2024, 3, 10, 9, 0),
        date(2024, 1, 1),
        True,
    ),
    # the cancelled O5 does not count
    ("S1", "C2"): (
        "grocery",
        1,
        D("25.00"),
        D("25.00"),
        datetime(2024, 4, 1, 0, 0),
        datetime(2024, 4, 1, 0, 0),
        # the store's local date of O6 is 2024-03-31 (New York)
        date(2024, 3, 1),
        False,
    ),
    # ' Fashion ' -> fashion; 86.40 + 64.00 = 150.40 -> AOV 75.20; O8 11:00+02:00 = 09:00 UTC
    ("S2", "C3"): (
        "fashion",
        2,
        D("150.40"),
        D("75.20"),
        datetime(2024, 2, 10, 15, 0),
        datetime(2024, 5, 20, 9, 0),
        date(2024, 2, 1),
        False,
    ),
}


def test_fct_orders_matches_hand_computed_rows(tiny_warehouse: Warehouse) -> None:
    rows = tiny_warehouse.query(
        """
        select order_id, status, customer_id, net_revenue, discount_amount, refund_amount,
               customer_order_number, is_first_order, days_since_previous_order,
               cohort_month, months_since_first_order
        from marts.fct_orders
        """
    )
    actual = {row[0]: tuple(row[1:]) for row in rows}
    assert actual == EXPECTED_ORDERS


def test_dim_customers_matches_hand_computed_rows(tiny_warehouse: Warehouse) -> None:
    rows = tiny_warehouse.query(
        """
        select store_id, customer_id, industry_segment, orders_count, net_revenue,
               average_order_value, first_order_at, last_order_at, cohort_month,
               is_loyalty_member
        from marts.dim_customers
        """
    )
    actual = {(row[0], row[1]): tuple(row[2:]) for row in rows}
    assert actual == EXPECTED_CUSTOMERS


def test_nothing_rejected_and_email_hashed(tiny_warehouse: Warehouse) -> None:
    assert tiny_warehouse.query("select count(*) from staging.stg_shop__rejects") == [(0,)]
    hashes = tiny_warehouse.query(
        "select email_hash from marts.dim_customers where customer_id = 'C1'"
    )
    assert len(hashes[0][0]) == 64
    assert "alice" not in hashes[0][0].lower()


@pytest.mark.parametrize(
    ("as_of_date", "expected_orders", "command"),
    [
        # fct_orders and its parents with their own tests
        (
            "2024-03-10",
            {"O1", "O2", "O3", "O4", "O5", "O7"},
            ("build", "-s", "+fct_orders", "--indirect-selection", "cautious"),
        ),
        # before the first order: every model and test of an empty warehouse
        ("2024-01-04", set(), ("build",)),
    ],
)
def test_as_of_date_cuts_orders(
    build_warehouse, as_of_date: str, expected_orders: set, command: tuple[str, ...]
) -> None:
    from retention.tests.conftest import DATA_DIR

    warehouse = build_warehouse(DATA_DIR / "tiny", vars={"as_of_date": as_of_date}, command=command)
    rows = warehouse.query("select order_id from marts.fct_orders")
    assert {row[0] for row in rows} == expected_orders
