"""Per-industry-segment parameters of the synthetic customer behaviour.

Every customer follows the "buy till you die" story of the BG/NBD model
(Fader, Hardie & Lee, 2005) for *when* it buys and the Gamma-Gamma model
(Fader, Hardie & Lee, 2005b) for *how much* it spends, so that the models the
warehouse fits have a true, known structure to recover:

* purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)`` (per day).  The mean
  rate is ``r / alpha``, so ``alpha = r * mean_interpurchase_days`` gives the
  segment its typical inter-purchase time; a small ``r`` means very
  heterogeneous customers (a few heavy buyers, many light ones).
* dropout probability ``p ~ Beta(a, b)``: after every repeat purchase the
  customer becomes inactive for good with probability ``p`` (mean
  ``a / (a + b)``).  As in the BG/NBD likelihood a customer is alive until at
  least its first repeat purchase.
* spend: each customer has ``nu ~ Gamma(shape=q, rate=gamma)`` and each order
  value is ``Gamma(shape=p_shape, rate=nu)``; the mean order value of the
  segment is ``p_shape * gamma / (q - 1)`` (before the device effect and the
  currency conversion), see :func:`Segment.gamma`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """Behavioural parameters of one industry segment (money in USD)."""

    code: str
    label: str  # word used in generated store names
    mean_ipt_days: float  # target mean inter-purchase time, days
    r: float  # BG/NBD: shape of the purchase-rate gamma (heterogeneity)
    a: float  # BG/NBD: dropout beta, first shape
    b: float  # BG/NBD: dropout beta, second shape
    aov_usd: float  # target mean order value (subtotal), USD
    p_shape: float  # Gamma-Gamma: shape of the order value given nu
    q: float  # Gamma-Gamma: shape of nu across customers (> 1)
    cac_usd: float  # customer acquisition cost used for marketing spend, USD
    pos_share: float  # share of orders placed in a physical shop (channel pos)

    @property
    def alpha(self) -> float:
        """BG/NBD rate of the purchase-rate gamma, in days."""
        return self.r * self.mean_ipt_days

    @property
    def gamma(self) -> float:
        """Gamma-Gamma rate of nu, chosen so that the mean order value is ``aov_usd``."""
        return self.aov_usd * (self.q - 1.0) / self.p_shape

    @property
    def mean_dropout(self) -> float:
        return self.a / (self.a + self.b)


# fmt: off
SEGMENTS: tuple[Segment, ...] = (
    # code            label        ipt    r    a    b     aov   p    q    cac  pos
    Segment("grocery", "Market", 20.0, 1.6, 0.5, 9.5, 60.0, 6.0, 5.0, 25.0, 0.10),
    Segment("pet_supplies", "Pets", 35.0, 1.5, 0.6, 8.0, 55.0, 5.0, 4.5, 30.0, 0.06),
    Segment("coffee_tea", "Roasters", 40.0, 1.4, 0.7, 7.0, 35.0, 5.0, 4.5, 15.0, 0.12),
    Segment("supplements", "Nutrition", 45.0, 1.3, 0.8, 6.0, 70.0, 5.0, 4.0, 40.0, 0.03),
    Segment("health_beauty", "Beauty", 70.0, 1.2, 0.8, 4.0, 45.0, 4.0, 4.0, 35.0, 0.05),
    Segment("fashion", "Apparel", 120.0, 1.1, 0.9, 3.0, 90.0, 4.0, 3.5, 45.0, 0.08),
    Segment("sporting_goods", "Sports", 150.0, 1.1, 1.0, 3.0, 110.0, 4.0, 3.5, 55.0, 0.06),
    Segment("toys_games", "Toys", 200.0, 1.0, 1.0, 2.5, 50.0, 4.0, 3.5, 30.0, 0.05),
    Segment("electronics", "Electronics", 300.0, 1.0, 1.2, 2.5, 250.0, 3.0, 3.0, 90.0, 0.04),
    Segment("home_furniture", "Home", 400.0, 0.9, 1.3, 2.0, 600.0, 3.0, 3.0, 150.0, 0.05),
    Segment("jewelry_luxury", "Jewels", 500.0, 0.9, 1.5, 2.0, 400.0, 3.0, 3.0, 120.0, 0.07),
)
# fmt: on

SEGMENT_BY_CODE: dict[str, Segment] = {s.code: s for s in SEGMENTS}


@dataclass(frozen=True)
class Locale:
    """A store location: currency, country and timezone kept consistent."""

    currency: str
    country_code: str
    timezone: str
    utc_offset_hours: int  # standard-time offset, used to place orders in local daytime
    usd_rate: float  # units of this currency per USD (rough, for plausible amounts)
    tax_rate: float  # sales tax / VAT charged on (subtotal - discount)


LOCALES: tuple[Locale, ...] = (
    Locale("USD", "US", "America/New_York", -5, 1.0, 0.07),
    Locale("EUR", "DE", "Europe/Berlin", 1, 0.92, 0.19),
    Locale("GBP", "GB", "Europe/London", 0, 0.79, 0.20),
    Locale("USD", "US", "America/Chicago", -6, 1.0, 0.0725),
    Locale("CAD", "CA", "America/Toronto", -5, 1.35, 0.13),
    Locale("USD", "US", "America/Los_Angeles", -8, 1.0, 0.0825),
    Locale("EUR", "FR", "Europe/Paris", 1, 0.92, 0.20),
    Locale("USD", "US", "America/Denver", -7, 1.0, 0.06),
)
"""Cycled over stores: half USD, then EUR, GBP, CAD; the first three stores already
cover three currencies."""

USD_RATE: dict[str, float] = {loc.currency: loc.usd_rate for loc in LOCALES}

# Relative demand per calendar month (Jan..Dec): mid-year lull, Nov/Dec peak.
MONTH_SEASONALITY: tuple[float, ...] = (
    0.90,
    0.82,
    0.92,
    0.95,
    0.98,
    0.92,
    0.90,
    0.95,
    0.98,
    1.02,
    1.35,
    1.55,
)

# Yearly growth of new-customer acquisition (1.35 = +35 % a year).
ACQUISITION_GROWTH_PER_YEAR = 1.35

# Order-value multiplier per device: desktop orders ~20 % larger than mobile ones.
DEVICE_VALUE_FACTOR: dict[str, float] = {"desktop": 1.10, "mobile": 0.915, "tablet": 1.0}

MARKETING_CHANNELS: tuple[tuple[str, float], ...] = (
    ("paid_search", 0.40),
    ("social", 0.30),
    ("email", 0.10),
    ("affiliate", 0.20),
)

# Discount codes and the share of the subtotal they take off.
DISCOUNT_CODES: tuple[tuple[str, float], ...] = (
    ("SAVE10", 0.10),
    ("SAVE20", 0.20),
    ("SPRING5", 0.05),
    ("LOYAL12", 0.12),
    ("VIP30", 0.30),
)
WELCOME_CODE: tuple[str, float] = ("WELCOME15", 0.15)
HOLIDAY_CODE: tuple[str, float] = ("BFCM25", 0.25)
