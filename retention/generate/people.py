"""Customer rows (with fake but realistic e-mails) and carts."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retention.generate.orders import Orders
from retention.generate.schema import SCHEMAS, categorical, constant, ids, money, timestamps
from retention.generate.simulate import Customers
from retention.generate.stores import Store
from retention.generate.timeline import SECONDS_PER_DAY, Timeline

# fmt: off
FIRST_NAMES = (
    "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
    "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah",
    "charles", "karen", "daniel", "lisa", "matthew", "nancy", "anthony", "sophie", "mark", "emma",
    "paul", "olivia", "lukas", "lea", "hugo", "chloe", "noah", "mia", "oliver", "amelia", "liam",
    "ava", "lucas", "isla", "leon", "hannah", "ethan", "grace", "felix", "clara", "arthur", "ines",
)
LAST_NAMES = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "martinez",
    "wilson", "anderson", "taylor", "thomas", "moore", "martin", "lee", "thompson", "white",
    "harris", "clark", "lewis", "walker", "hall", "young", "king", "wright", "scott", "green",
    "baker", "adams", "nelson", "campbell", "mueller", "schmidt", "schneider", "fischer", "weber",
    "dubois", "bernard", "moreau", "laurent", "evans", "roberts", "murphy", "tremblay", "roy",
    "gagnon", "bouchard", "patel", "nguyen",
)
# fmt: on
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
OTHER_COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "IE", "AU")
P_NEVER_ORDERED = 0.11  # registered customers without any order
P_ACCEPTS_MARKETING = 0.55
P_CONVERTED_CART = 0.30  # share of orders with a recorded (converted) cart
P_ABANDONED_BEFORE = 0.18  # share of customer orders preceded by an abandoned cart
P_ABANDONED_AFTER = 0.20  # share of customers abandoning a cart after their last order
ANONYMOUS_CARTS_PER_ORDER = 0.25


def _emails(rng: np.random.Generator, numbers: np.ndarray) -> pa.Array:
    n = numbers.size
    first = pa.array(FIRST_NAMES).take(pa.array(rng.integers(0, len(FIRST_NAMES), n)))
    last = pa.array(LAST_NAMES).take(pa.array(rng.integers(0, len(LAST_NAMES), n)))
    domain = pa.array(DOMAINS).take(pa.array(rng.integers(0, len(DOMAINS), n)))
    num = pc.cast(pa.array(numbers, pa.int64()), pa.string())
    local = pc.binary_join_element_wise(first, ".", last, num, "")
    return pc.binary_join_element_wise(local, "@", domain, "")


def customers_table(
    rng: np.random.Generator,
    store: Store,
    timeline: Timeline,
    orders: Orders,
    n_customers: int,
    first_number: int,
) -> tuple[pa.Table, np.ndarray, int]:
    """Rows for the batch's buyers plus registered non-buyers.

    Returns the table, the id number of every buyer (index = customer index in the batch)
    and the number of ids used."""
    n_extra = int(rng.binomial(n_customers, P_NEVER_ORDERED))
    numbers = first_number + np.arange(n_customers + n_extra, dtype=np.int64)
    n_orders = np.bincount(orders.cust, minlength=n_customers)
    first_ts = np.full(n_customers, timeline.end_epoch, dtype=np.int64)
    np.minimum.at(first_ts, orders.cust, orders.ts)
    # Registered at checkout (60 %) or some time before the first order.
    ahead = np.where(
        rng.random(n_customers) < 0.6,
        rng.integers(0, 900, size=n_customers),
        rng.exponential(60.0, size=n_customers) * SECONDS_PER_DAY,
    ).astype(np.int64)
    created = np.maximum(first_ts - ahead, timeline.start_epoch - 365 * SECONDS_PER_DAY)
    created = np.minimum(created, first_ts)
    extra_created = timeline.to_epoch_seconds(
        rng, timeline.sample_acquisition(rng, n_extra), store.locale.utc_offset_hours
    )
    # Loyalty programme: ~25 % overall, far more likely for repeat buyers.
    p_loyal = 0.09 + 0.55 * (1.0 - np.exp(-(n_orders - 1) / 4.0))
    loyal = rng.random(n_customers) < p_loyal
    joined = first_ts + rng.random(n_customers) * 0.6 * (timeline.end_epoch - first_ts)
    extra_loyal = rng.random(n_extra) < 0.03
    extra_joined = extra_created + rng.random(n_extra) * 0.3 * (timeline.end_epoch - extra_created)
    n_all = n_customers + n_extra
    home = rng.random(n_all) < 0.9
    country = np.where(home, -1, rng.integers(0, len(OTHER_COUNTRIES), size=n_all))
    country_arr = pc.fill_null(categorical(OTHER_COUNTRIES, country), store.locale.country_code)
    table = pa.Table.from_arrays(
        [
            constant(store.store_id, n_all),
            ids("C", numbers),
            timestamps(np.concatenate([created, extra_created])),
            _emails(rng, numbers),
            country_arr,
            pa.array(rng.random(n_all) < P_ACCEPTS_MARKETING),
            timestamps(
                np.concatenate([joined, extra_joined]).astype(np.int64),
                mask=~np.concatenate([loyal, extra_loyal]),
            ),
        ],
        schema=SCHEMAS["customers"],
    )
    return table, numbers[:n_customers], n_all


def carts_table(
    rng: np.random.Generator,
    store: Store,
    timeline: Timeline,
    orders: Orders,
    customers: Customers | None,
    customer_numbers: np.ndarray | None,
    first_number: int,
) -> pa.Table:
    """Converted carts (~30 % of orders), carts abandoned shortly before a later purchase,
    carts abandoned after the customer's last order, and anonymous abandoned carts."""
    n = orders.n
    loc = store.locale
    guest = customer_numbers is None
    cust_num = np.full(n, -1, dtype=np.int64) if guest else customer_numbers[orders.cust]
    # 1. converted carts
    conv = np.flatnonzero(rng.random(n) < P_CONVERTED_CART)
    conv_at = orders.ts[conv] - rng.integers(60, 7200, size=conv.size)
    tweak = np.where(rng.random(conv.size) < 0.85, 1.0, rng.uniform(1.0, 1.1, size=conv.size))
    conv_value = np.rint(orders.subtotal[conv] * tweak).astype(np.int64)
    # 2. abandoned shortly (hours to a week) before a later purchase
    before = np.flatnonzero(rng.random(n) < (0.0 if guest else P_ABANDONED_BEFORE))
    before_at = orders.ts[before] - (rng.uniform(0.05, 7.0, size=before.size) * SECONDS_PER_DAY)
    before_value = np.rint(orders.subtotal[before] * rng.uniform(0.5, 1.5, size=before.size))
    # 3. abandoned after the last order, never followed by a purchase
    if customers is None or customer_numbers is None:
        after_cust = np.zeros(0, dtype=np.int64)
        after_at = np.zeros(0)
    else:
        last_ts = np.full(customers.n, timeline.start_epoch, dtype=np.int64)
        np.maximum.at(last_ts, orders.cust, orders.ts)
        gap = rng.exponential(90.0, size=customers.n) * SECONDS_PER_DAY
        after_at = last_ts + gap
        ok = (rng.random(customers.n) < P_ABANDONED_AFTER) & (after_at <= timeline.end_epoch)
        after_cust = np.flatnonzero(ok)
        after_at = after_at[ok]
    after_value = rng.gamma(store.segment.p_shape, 1.0, size=after_cust.size)
    after_value = np.rint(after_value * store.segment.aov_usd / store.segment.p_shape * 100)
    # 4. anonymous visitors
    n_anon = int(rng.poisson(ANONYMOUS_CARTS_PER_ORDER * n))
    anon_at = timeline.to_epoch_seconds(
        rng, timeline.sample_acquisition(rng, n_anon), loc.utc_offset_hours
    )
    anon_value = rng.gamma(2.0, store.segment.aov_usd * loc.usd_rate / 2.0, size=n_anon)
    anon_value = np.rint(anon_value * 100)

    created = np.concatenate([conv_at, before_at, after_at, anon_at]).astype(np.int64)
    created = np.clip(created, timeline.start_epoch, timeline.end_epoch)
    value = np.concatenate([conv_value, before_value, after_value * loc.usd_rate, anon_value])
    who = np.concatenate(
        [
            cust_num[conv],
            cust_num[before],
            np.zeros(0, np.int64) if customer_numbers is None else customer_numbers[after_cust],
            np.full(n_anon, -1, dtype=np.int64),
        ]
    )
    order_number = np.concatenate(
        [orders.number[conv], np.full(before.size + after_cust.size + n_anon, -1, dtype=np.int64)]
    )
    m = created.size
    return pa.Table.from_arrays(
        [
            ids("K", first_number + np.arange(m, dtype=np.int64)),
            constant(store.store_id, m),
            ids("C", np.maximum(who, 0), mask=who < 0),
            timestamps(created),
            money(np.maximum(value, 0).astype(np.int64)),
            ids("O", np.maximum(order_number, 0), mask=order_number < 0),
        ],
        schema=SCHEMAS["carts"],
    )
