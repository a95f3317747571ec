"""Money in the report: amounts carry the warehouse's reporting currency.

The build converts every amount to var `reporting_currency` (stored in
intermediate.int_run_parameters); the report writes that currency's symbol,
or its ISO code when it has no unambiguous symbol (CHF 1,234.50).
"""

from __future__ import annotations

from dataclasses import dataclass

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}
#: a file without intermediate.int_run_parameters (e.g. the marts-only BI
#: copy) does not record its currency: amounts are then written without one
UNKNOWN = ""


@dataclass(frozen=True)
class Currency:
    code: str

    @property
    def symbol(self) -> str:
        if self.code == UNKNOWN:
            return ""
        return SYMBOLS.get(self.code, f"{self.code}\u00a0")

    @property
    def label(self) -> str:
        """For axis titles and the page header."""
        return self.code or "reporting currency, not recorded in this file"

    def format(self, value: float, places: int = 2) -> str:
        """`-€1,234.50`: sign, symbol, thousands separators, `places` decimals."""
        sign = "-" if value < 0 else ""
        return f"{sign}{self.symbol}{abs(value):,.{places}f}"
