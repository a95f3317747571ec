# ruff: noqa: E501 (the fixture rows are a table: one order per two lines)
"""Writes the Fivetran Shopify fixture (Parquet, one file per connector table).

Column names follow the Fivetran Shopify connector's tables as read by
fivetran/dbt_shopify_source; only the columns the adapter reads plus a few
realistic others. Run from the project root after changing the rows:
    .venv/bin/python retention/tests/data/adapters/fivetran_shopify/make_fixture.py
The hand-computed numbers are in retention/tests/test_adapters.py.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

HERE = Path(__file__).parent

SHIPPING_SET = (
    '{"shop_money": {"amount": "%s", "currency_code": "%s"},'
    ' "presentment_money": {"amount": "%s", "currency_code": "%s"}}'
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
IPAD = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

ORDER_COLUMNS = (
    "id bigint, name varchar, email varchar, customer_id bigint, created_at timestamp,"
    " processed_at timestamp, cancelled_at timestamp, financial_status varchar, currency varchar,"
    " presentment_currency varchar, total_line_items_price double, total_discounts double,"
    " subtotal_price double, total_tax double, total_price double, total_shipping_price_set varchar,"
    " source_name varchar, test boolean, _fivetran_deleted boolean, checkout_id bigint,"
    " client_details_user_agent varchar, _fivetran_synced timestamp"
)

# fmt: off
STORES: dict[str, dict[str, list[tuple]]] = {
    "ft_a": {
        "order": [
            # id, name, email, customer_id, created_at, processed_at, cancelled_at, financial_status,
            # currency, presentment_currency, line items, discounts, subtotal, tax, total, shipping,
            # source, test, deleted, checkout_id, user agent
            (1001, "#1001", "ann@example.com", 501, "2024-01-08 18:00:00", "2024-01-08 18:00:00", None, "paid",
             "USD", "EUR", 80.0, 8.0, 72.0, 5.76, 82.76, "5.00", "web", False, False, 9101, DESKTOP),
            (1002, "#1002", "bea@example.com", 502, "2024-01-15 20:00:00", "2024-01-15 20:00:00", None, "paid",
             "USD", "USD", 50.0, 0.0, 50.0, 4.0, 54.0, "0.00", "web", False, False, 9102, IPHONE),
            (1003, "#1003", "ann@example.com", 501, "2024-02-14 17:30:00", "2024-02-14 17:30:00", None,
             "partially_refunded", "USD", "USD", 65.0, 0.0, 65.0, 5.2, 75.2, "5.00", "web", False, False, 9103,
             IPAD),
            # a guest checkout of bea: Shopify made a new customer record (504)
            (1004, "#1004", "Bea@Example.com", 504, "2024-03-10 19:00:00", "2024-03-10 19:00:00", None, "paid",
             "USD", "USD", 35.0, 0.0, 35.0, 2.8, 37.8, "0.00", "iphone", False, False, 9104, None),
            # a test order and a row deleted in Shopify: never counted
            (1005, "#1005", "ann@example.com", 501, "2024-03-12 16:00:00", "2024-03-12 16:00:00", None, "paid",
             "USD", "USD", 999.0, 0.0, 999.0, 0.0, 999.0, "0.00", "web", True, False, 9105, DESKTOP),
            (1006, "#1006", "ann@example.com", 501, "2024-03-15 16:00:00", "2024-03-15 16:00:00", None, "paid",
             "USD", "USD", 20.0, 0.0, 20.0, 1.6, 21.6, "0.00", "web", False, True, 9106, DESKTOP),
            (1007, "#1007", "cal@example.com", 505, "2024-03-20 15:00:00", "2024-03-20 15:00:00",
             "2024-03-20 18:00:00", "voided", "USD", "USD", 60.0, 0.0, 60.0, 4.8, 64.8, "0.00", "web", False,
             False, 9107, DESKTOP),
            (1008, "#1008", "ann@example.com", 501, "2024-04-03 17:00:00", "2024-04-03 17:00:00", None, "paid",
             "USD", "USD", 45.0, 0.0, 45.0, 3.6, 48.6, "0.00", "web", False, False, 9002, DESKTOP),
            (1009, "#1009", "dan@example.com", 506, "2024-04-09 16:00:00", "2024-04-09 16:00:00", None,
             "pending", "USD", "USD", 70.0, 0.0, 70.0, 5.6, 75.6, "0.00", "web", False, False, 9109, DESKTOP),
            # imported from an older platform: created at the import, processed at the original date
            (1010, "#1010", "eve@example.com", 507, "2024-04-05 12:00:00", "2023-12-20 18:00:00", None, "paid",
             "USD", "USD", 100.0, 0.0, 100.0, 8.0, 108.0, "0.00", "web", False, False, None, None),
        ],
        "order_line": [
            # id, order_id, index, title, price, quantity, total_discount
            (1, 1001, 1, "Linen shirt", 30.0, 2, 6.0),
            (2, 1001, 2, "Canvas belt", 20.0, 1, 2.0),
            (3, 1002, 1, "Wool scarf", 50.0, 1, 0.0),
            (4, 1003, 1, "Knit cap", 40.0, 1, 0.0),
            (5, 1003, 2, "Socks", 25.0, 1, 0.0),
            (6, 1004, 1, "Gloves", 35.0, 1, 0.0),
            (7, 1005, 1, "Test product", 999.0, 1, 0.0),
            (8, 1006, 1, "Tie", 20.0, 1, 0.0),
            (9, 1007, 1, "Jacket", 60.0, 1, 0.0),
            (10, 1008, 1, "Chinos", 45.0, 1, 0.0),
            (11, 1009, 1, "Raincoat", 70.0, 1, 0.0),
            (12, 1010, 1, "Boots", 100.0, 1, 0.0),
        ],
        "refund": [
            # id, order_id, created_at, processed_at, note
            (7001, 1003, "2024-02-20 17:00:00", "2024-02-20 17:00:00", "socks returned"),
            # a refund of the test order: never counted
            (7002, 1005, "2024-03-13 10:00:00", "2024-03-13 10:00:00", "test refund"),
        ],
        "order_line_refund": [
            # id, refund_id, order_line_id, quantity, subtotal, total_tax
            (8001, 7001, 5, 1, 25.0, 2.0),
            (8002, 7002, 7, 1, 999.0, 0.0),
        ],
        "order_adjustment": [
            # id, order_id, refund_id, amount, tax_amount, kind, reason
            (8101, 1003, 7001, -5.0, 0.0, "shipping_refund", "Shipping refund"),
            (8102, 1003, 7001, -1.5, 0.0, "refund_discrepancy", "Refund discrepancy"),
        ],
        "customer": [
            # id, email, created_at, accepts_marketing, first_name, last_name, orders_count, state
            (501, "ann@example.com", "2024-01-08 17:55:00", True, "Ann", "Example", 3, "enabled"),
            (502, "bea@example.com", "2024-01-15 19:58:00", False, "Bea", "Example", 1, "disabled"),
            (504, "bea@example.com", "2024-03-10 18:59:00", False, "Bea", "Example", 1, "disabled"),
            (505, "cal@example.com", "2024-03-18 14:00:00", False, "Cal", "Example", 0, "disabled"),
            (506, "dan@example.com", "2024-04-09 15:59:00", True, "Dan", "Example", 0, "enabled"),
            (507, "eve@example.com", "2024-04-05 12:00:00", False, "Eve", "Example", 1, "disabled"),
        ],
        "shop": [
            # id, name, currency, country_code, iana_timezone, _fivetran_deleted
            (1, "FT Apparel", "USD", "US", "America/Los_Angeles", False),
        ],
        "abandoned_checkout": [
            # id, customer_id, email, created_at, completed_at, subtotal_price, total_price, currency,
            # _fivetran_deleted
            (9001, 505, "cal@example.com", "2024-03-18 14:05:00", None, 60.0, 64.8, "USD", False),
            (9002, 501, "ann@example.com", "2024-04-03 16:50:00", "2024-04-03 17:00:00", 45.0, 48.6, "USD",
             False),
        ],
    },
    "ft_b": {
        "order": [
            (2001, "#1001", "fay@example.ca", 601, "2024-02-02 15:00:00", "2024-02-02 15:00:00", None, "paid",
             "CAD", "CAD", 100.0, 10.0, 90.0, 11.7, 106.7, "5.00", "web", False, False, None, DESKTOP),
            (2002, "#1002", "fay@example.ca", 601, "2024-04-20 15:00:00", "2024-04-20 15:00:00", None, "paid",
             "CAD", "CAD", 40.0, 0.0, 40.0, 5.2, 45.2, "0.00", "web", False, False, None, DESKTOP),
        ],
        "order_line": [
            (21, 2001, 1, "Maple syrup", 50.0, 2, 10.0),
            (22, 2002, 1, "Tea", 40.0, 1, 0.0),
        ],
        "customer": [
            (601, "fay@example.ca", "2024-02-02 14:59:00", True, "Fay", "Example", 2, "enabled"),
        ],
        "shop": [
            (2, "FT Pantry", "CAD", "CA", "America/Toronto", False),
        ],
    },
}
# fmt: on

COLUMNS = {
    "order": ORDER_COLUMNS,
    "order_line": (
        "id bigint, order_id bigint, index integer, title varchar, price double, quantity integer,"
        " total_discount double"
    ),
    "refund": "id bigint, order_id bigint, created_at timestamp, processed_at timestamp, note varchar",
    "order_line_refund": (
        "id bigint, refund_id bigint, order_line_id bigint, quantity integer, subtotal double,"
        " total_tax double"
    ),
    "order_adjustment": (
        "id bigint, order_id bigint, refund_id bigint, amount double, tax_amount double, kind varchar,"
        " reason varchar"
    ),
    "customer": (
        "id bigint, email varchar, created_at timestamp, accepts_marketing boolean, first_name varchar,"
        " last_name varchar, orders_count integer, state varchar"
    ),
    "shop": (
        "id bigint, name varchar, currency varchar, country_code varchar, iana_timezone varchar,"
        " _fivetran_deleted boolean"
    ),
    "abandoned_checkout": (
        "id bigint, customer_id bigint, email varchar, created_at timestamp, completed_at timestamp,"
        " subtotal_price double, total_price double, currency varchar, _fivetran_deleted boolean"
    ),
}


def shipping_set(amount: str, currency: str) -> str:
    return SHIPPING_SET % (amount, currency, amount, currency)


def main() -> None:
    con = duckdb.connect()
    for store, tables in STORES.items():
        folder = HERE / store
        folder.mkdir(exist_ok=True)
        for table, rows in tables.items():
            con.execute(f"create or replace table t ({COLUMNS[table]})")
            if table == "order":
                rows = [
                    (
                        *row[:15],
                        shipping_set(row[15], row[8]),
                        *row[16:20],
                        row[20],
                        "2024-05-01 00:00:00",
                    )
                    for row in rows
                ]
            placeholders = ", ".join("?" for _ in rows[0])
            con.executemany(f"insert into t values ({placeholders})", rows)
            con.execute(f"copy t to '{folder / (table + '.parquet')}' (format parquet)")
    (HERE / "stores.csv").write_text(
        "store_id,store_name,industry_segment,currency,country_code,timezone\n"
        "ft_a,FT Apparel,fashion,USD,US,America/Los_Angeles\n"
    )


if __name__ == "__main__":
    main()
