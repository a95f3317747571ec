"""One Great Expectations suite per contract mart, in one module per domain.

The domains follow models/marts/: `core`, `retention`, `segments`, `clv`;
`forward` holds the forward-looking marts of models/marts/retention/.
A suite is a function `suite_<mart>(b: SuiteBuilder)` decorated with
`@contract_suite` (see `builder`); importing the domain modules registers
them, in this order, which is also the order of the validation report. To
validate a new mart, write its function in the module of its domain (or a
new module imported below) and declare the mart's query asset in
gx/great_expectations.yml (the checkpoint says so when it is missing):
CONTRACT_MARTS follows.
"""

from __future__ import annotations

from retention.validate.suites import clv, core, forward, retention, segments
from retention.validate.suites.builder import (
    SUITES,
    SuiteBuilder,
    WarehouseFacts,
    contract_suite,
)

__all__ = [
    "CONTRACT_MARTS",
    "DOMAINS",
    "SUITES",
    "SuiteBuilder",
    "WarehouseFacts",
    "build_suite",
    "contract_suite",
]

#: report order: the domains as the marts depend on each other
DOMAINS = (core, retention, segments, clv, forward)
#: the marts validated (README "Where each metric lives")
CONTRACT_MARTS: tuple[str, ...] = tuple(
    mart
    for domain in DOMAINS
    for mart, suite in SUITES.items()
    if suite.__module__ == domain.__name__
)
if set(CONTRACT_MARTS) != set(SUITES):
    raise ImportError("a suite is registered outside the DOMAINS modules")


def build_suite(mart: str, facts: WarehouseFacts) -> SuiteBuilder:
    """The suite of one mart present in the warehouse (with what it skipped)."""
    builder = SuiteBuilder(mart, facts)
    SUITES[mart](builder)
    return builder
