"""Money in the report: amounts carry the warehouse's reporting currency.

The build converts every amount to var `reporting_currency` (stored in
intermediate.int_run_parameters); the report writes that currency's symbol,
or its ISO code when it has no unambiguous symbol (CHF 1,234.50).
"""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}
DEFAULT_CODE = "USD"  # dbt_project.yml's default reporting_currency


@dataclass(frozen=True)
class Currency:
    code: str

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.code, f"{self.code}\u00a0")

    def format(self, value: float, places: int = 2) -> str:
        """`-€1,234.50`: sign, symbol, thousands separators, `places` decimals."""
        sign = "-" if value < 0 else ""
        return f"{sign}{self.symbol}{abs(value):,.{places}f}"
