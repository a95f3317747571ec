"""The suite builder, the warehouse facts and the registry of suites.

Each `suite_<mart>` function (in the domain modules beside this one) adds
the mart's expectations to a `SuiteBuilder` and is registered with the
`@contract_suite` decorator: a new mart's suite is one new decorated
function. The builder knows which tables and columns the warehouse holds:
an expectation whose columns (or whose other relations, for
reconciliations) are absent is not added but listed as skipped. A skipped
expectation is a validation failure under `--require-all` (what `make
build` and `make test` run); without it, the report names what it could not
check.

Every expectation carries a short `description` (``<mart>: <what must hold>``);
the checkpoint prints it for the failed ones. Checks that GX's SQL metrics
cannot express on DuckDB (cross-table reconciliations, identities between
columns, finite-ness) are `UnexpectedRowsExpectation` queries: SQL that
returns the offending rows, run inside DuckDB. `{batch}` is the mart itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

ORDER_STATUSES = ("completed", "cancelled", "refunded", "pending")
PERIOD_GRAINS = ("month", "quarter", "year")
#: the customer counts of a retention period (fct_retention_periods and the marts built like it)
PERIOD_COUNTS = (
    "customers_start",
    "customers_end",
    "new_customers",
    "retained_customers",
    "churned_customers",
    "reactivated_customers",
)
# Reconciliations compare sums of decimal(18,2) money; allow a cent per row.
MONEY_TOLERANCE = 0.01
RATE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class WarehouseFacts:
    """What the suites need to know about the warehouse being validated."""

    columns: Mapping[str, frozenset[str]]  # mart -> its columns (present marts only)
    as_of_date: dt.date
    as_of_source: str  # where as_of_date came from (printed)
    rfm_segments: tuple[str, ...]
    rfm_segments_source: str
    # "schema.table" -> columns, for the other relations reconciliations read
    relations: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def _columns_of(self, relation: str) -> frozenset[str] | None:
        """A mart by name, any other relation as schema.table."""
        if "." in relation:
            return self.relations.get(relation)
        return self.columns.get(relation)

    def has(self, relation: str, *columns: str) -> bool:
        present = self._columns_of(relation)
        return present is not None and set(columns) <= present


@dataclass
class SuiteBuilder:
    """Collects one mart's expectations; skips those whose inputs are absent."""

    mart: str
    facts: WarehouseFacts
    expectations: list[Expectation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    # -- plumbing ---------------------------------------------------------
    def _add(
        self,
        what: str,
        build: Callable[[], Expectation],
        columns: Iterable[str] = (),
        other: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        missing = [c for c in columns if not self.facts.has(self.mart, c)]
        for relation, cols in (other or {}).items():
            if not self.facts.has(relation):
                missing.append(f"relation {relation}" if "." in relation else f"mart {relation}")
            else:
                missing += [f"{relation}.{c}" for c in cols if not self.facts.has(relation, c)]
        if missing:
            self.skipped.append(f"{what} (missing {', '.join(missing)})")
            return
        expectation = build()
        expectation.description = f"{self.mart}: {what}"
        self.expectations.append(expectation)

    # -- column checks ----------------------------------------------------
    def rows_at_least(self, n: int) -> None:
        self._add(f"at least {n} row(s)", lambda: gxe.ExpectTableRowCountToBeBetween(min_value=n))

    def not_null(self, *columns: str) -> None:
        for c in columns:
            self._add(f"{c} not null", lambda c=c: gxe.ExpectColumnValuesToNotBeNull(column=c), [c])

    def unique(self, *columns: str) -> None:
        """A key: written as SQL because GX's compound-uniqueness metric is slow on DuckDB."""
        key = ", ".join(columns)
        self.no_rows(
            f"({key}) unique",
            f"select {key}, count(*) as copies from {{batch}} group by {key} having count(*) > 1",
            columns,
        )

    def in_set(self, column: str, values: Iterable[object]) -> None:
        value_set = list(values)
        self._add(
            f"{column} in {value_set}",
            lambda: gxe.ExpectColumnValuesToBeInSet(column=column, value_set=value_set),
            [column],
        )

    def between(self, column: str, low: float | None = None, high: float | None = None) -> None:
        """low <= column <= high; SQL comparison, so NaN (greater than all) fails a high bound."""
        bounds = (
            f"{'' if low is None else f'{low} <= '}{column}{'' if high is None else f' <= {high}'}"
        )
        self._add(
            bounds,
            lambda: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high),
            [column],
        )

    def not_after_as_of(self, column: str) -> None:
        as_of = self.facts.as_of_date.isoformat()
        self._add(
            f"{column} not after as_of_date {as_of}",
            lambda: gxe.ExpectColumnMaxToBeBetween(column=column, max_value=as_of),
            [column],
        )

    # -- SQL checks ---------------------------------------------------------
    def no_rows(
        self,
        what: str,
        query: str,
        columns: Iterable[str] = (),
        other: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """`query` returns the rows that break `what`; none may come back."""
        self._add(
            what, lambda: gxe.UnexpectedRowsExpectation(unexpected_rows_query=query), columns, other
        )

    def where_not(self, what: str, condition: str, columns: Iterable[str]) -> None:
        """Every row satisfies `condition` (a null result counts as a failure)."""
        self.no_rows(
            what, f"select * from {{batch}} where not coalesce({condition}, false)", columns
        )

    def positive_finite(self, *columns: str) -> None:
        for c in columns:
            self.where_not(f"{c} positive and finite", f"isfinite({c}) and {c} > 0", [c])

    def first_of(self, column: str, grain: str = "month") -> None:
        self.where_not(
            f"{column} is the first day of its {grain}",
            f"{column} is null or {column} = date_trunc('{grain}', {column})",
            [column],
        )

    def build(self) -> gx.ExpectationSuite:
        # all at once: add_expectation() on a suite whose name is already
        # stored would write the store once per expectation
        return gx.ExpectationSuite(name=self.mart, expectations=list(self.expectations))


def marts(name: str) -> str:
    """The relation of a mart, for reconciliation queries."""
    return f"marts.{name}"


def per_store_totals_match_dim_customers(
    b: SuiteBuilder, name: str, customers_sql: str, columns: list[str]
) -> None:
    """Per store, `customers_sql` and sum(net_revenue) over the batch equal
    the customer count and net revenue of dim_customers."""
    b.no_rows(
        name,
        f"""
        with batch_totals as (
            select store_id, {customers_sql} as customers, sum(net_revenue) as net_revenue
            from {{batch}} group by store_id
        ),
        customers as (
            select store_id, count(*) as customers, sum(net_revenue) as net_revenue
            from {marts("dim_customers")} group by store_id
        )
        select * from batch_totals full join customers using (store_id)
        where batch_totals.customers is distinct from customers.customers
           or abs(coalesce(batch_totals.net_revenue, 0) - coalesce(customers.net_revenue, 0))
              > {MONEY_TOLERANCE}
        """,
        columns,
        other={"dim_customers": ["store_id", "net_revenue"]},
    )


# ---------------------------------------------------------------- registry
Suite = Callable[[SuiteBuilder], None]
#: mart -> its suite, in registration order (the domain modules' import order)
SUITES: dict[str, Suite] = {}


def contract_suite(function: Suite) -> Suite:
    """Register `suite_<mart>` as the expectation suite of marts.<mart>."""
    if not function.__name__.startswith("suite_"):
        raise ValueError(f"a suite function is named suite_<mart>, not {function.__name__}")
    mart = function.__name__.removeprefix("suite_")
    if mart in SUITES:
        raise ValueError(f"two suites for {mart}")
    SUITES[mart] = function
    return function
