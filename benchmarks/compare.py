"""Compare the warehouse's marts with the baselines' results, row by row.

Each mart is joined with the baseline's table on its key (full outer join);
a row missing on either side or a column differing by more than its
tolerance is a mismatch. A mart or a compared column absent from either
side is a failure too (a renamed column never drops out silently), and so
is a column of the warehouse's mart that is not compared (a new column must
be computed by the baselines, or listed in NOT_COMPARED with the reason).
Every column of the four marts is compared except dim_customers' CLV
columns. Money is compared to the cent: |difference| < half a cent, i.e.
both sides round to the same cents; rates to 1e-9; everything else exactly
(timestamps to the microsecond, dates as dates, null equal only to null).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

#: both sides round to the same cents (decimal(18,2) vs sums of doubles)
CENT = 0.005
RATE = 1e-9
#: mart -> (key columns, {column: tolerance (None = exact)}, date columns to cast).
#: Every column of the marts except dim_customers' CLV columns (issue 5: the
#: baselines fit no BG/NBD model): a baseline computes all of them.
MARTS: dict[str, tuple[tuple[str, ...], dict[str, float | None], tuple[str, ...]]] = {
    "fct_orders": (
        ("store_id", "order_id"),
        {
            "customer_id": None,
            "industry_segment": None,
            "ordered_at": None,
            "order_date": None,
            "order_month": None,
            "status": None,
            "is_purchase": None,
            "is_guest": None,
            "order_currency": None,
            "subtotal_amount": CENT,
            "discount_amount": CENT,
            "refund_amount": CENT,
            "shipping_amount": CENT,
            "tax_amount": CENT,
            "net_revenue": CENT,
            "has_discount": None,
            "discount_code": None,
            "channel": None,
            "device": None,
            "is_first_order": None,
            "customer_order_number": None,
            "days_since_previous_order": None,
            "cohort_month": None,
            "months_since_first_order": None,
        },
        ("order_date", "order_month", "cohort_month"),
    ),
    "dim_customers": (
        ("store_id", "customer_id"),
        {
            "industry_segment": None,
            "first_order_at": None,
            "first_order_date": None,
            "cohort_month": None,
            "last_order_at": None,
            "last_order_date": None,
            "orders_count": None,
            "net_revenue": CENT,
            "average_order_value": CENT,
            "discounted_orders_count": None,
            "registered_at": None,
            "country_code": None,
            "accepts_marketing": None,
            "loyalty_member_since": None,
            "is_loyalty_member": None,
            "email_hash": None,
            "days_since_last_order": None,
            "rfm_recency_score": None,
            "rfm_frequency_score": None,
            "rfm_monetary_score": None,
            "rfm_segment": None,
            "is_first_time_buyer": None,
            "is_repeat_buyer": None,
            "is_vip": None,
            "is_discount_shopper": None,
            "is_full_price_buyer": None,
            "is_cart_abandoner": None,
            "is_high_aov": None,
            "is_big_spender": None,
            "is_churn_risk": None,
        },
        ("first_order_date", "last_order_date", "cohort_month"),
    ),
    "fct_retention_periods": (
        ("store_id", "period_grain", "period_start"),
        {
            "industry_segment": None,
            "period_end": None,
            "measured_on": None,
            "is_complete": None,
            "active_window_days": None,
            "customers_start": None,
            "customers_end": None,
            "new_customers": None,
            "retained_customers": None,
            "churned_customers": None,
            "reactivated_customers": None,
            "acquired_customers": None,
            "new_customers_lapsed": None,
            "crr": RATE,
            "churn_rate": RATE,
            "purchasing_customers": None,
            "returning_customers": None,
            "returning_customer_rate": RATE,
        },
        ("period_start", "period_end", "measured_on"),
    ),
    "fct_cohort_retention": (
        ("store_id", "cohort_month", "months_since_first_order"),
        {
            "industry_segment": None,
            "activity_month": None,
            "cohort_size": None,
            "active_customers": None,
            "retention_rate": RATE,
            "net_revenue": CENT,
            "cumulative_net_revenue": CENT,
            "cumulative_net_revenue_per_customer": RATE,
            "repeat_customers": None,
            "repeat_purchase_rate": RATE,
            "net_revenue_retention": RATE,
        },
        ("cohort_month", "activity_month"),
    ),
}


#: columns of the warehouse's marts that no baseline computes (the CLV model of
#: issue 5); any other column of a mart missing from MARTS fails the comparison
NOT_COMPARED: dict[str, frozenset[str]] = {
    "dim_customers": frozenset(
        {
            "frequency",
            "recency_days",
            "tenure_days",
            "monetary_value",
            "historical_clv",
            "probability_alive",
            "predicted_purchases",
            "expected_average_spend",
            "predicted_clv",
            "simple_clv",
            "probability_purchase_30d",
            "probability_purchase_90d",
            "median_days_to_next_purchase",
            "expected_next_order_date",
        }
    ),
}


@dataclass
class Comparison:
    mart: str
    baseline: str
    warehouse_rows: int = 0
    baseline_rows: int = 0
    only_in_warehouse: int = 0
    only_in_baseline: int = 0
    mismatches: dict[str, int] = field(default_factory=dict)
    #: why the comparison could not run (a mart absent on one side): a failure
    missing: str | None = None
    #: compared columns absent from the warehouse or the baseline: a failure
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    #: columns of the warehouse's mart that nothing compares (new ones): a failure
    uncompared: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.missing is None
            and not any(self.missing_columns.values())
            and not self.uncompared
            and not (
                self.only_in_warehouse or self.only_in_baseline or any(self.mismatches.values())
            )
        )

    def line(self) -> str:
        if self.missing:
            return f"{self.mart} vs {self.baseline}: FAILED ({self.missing})"
        bad = {c: n for c, n in self.mismatches.items() if n}
        absent = {side: cols for side, cols in self.missing_columns.items() if cols}
        verdict = "identical" if self.ok else "DIFFERENT"
        detail = (
            f"; only in warehouse {self.only_in_warehouse:,}, only in baseline "
            f"{self.only_in_baseline:,}, mismatched columns {bad}, absent columns {absent}"
            + (f", columns not compared {self.uncompared}" if self.uncompared else "")
            if not self.ok
            else ""
        )
        return (
            f"{self.mart} vs {self.baseline}: {verdict} "
            f"({self.warehouse_rows:,} rows, {len(self.mismatches)} columns compared{detail})"
        )


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    return {row[0] for row in con.execute(f"describe select * from {relation}").fetchall()}


def _projection(columns: list[str], dates: tuple[str, ...]) -> str:
    return ", ".join(f"cast({c} as date) as {c}" if c in dates else c for c in columns)


def compare_mart(
    con: duckdb.DuckDBPyConnection, mart: str, warehouse: str, baseline: str, name: str
) -> Comparison:
    keys, tolerances, dates = MARTS[mart]
    result = Comparison(mart, name)
    try:
        present = _columns(con, warehouse)
    except duckdb.Error as error:
        result.missing = f"not in the warehouse: {str(error).splitlines()[0]}"
        return result
    try:
        available = _columns(con, baseline)
    except duckdb.Error as error:
        result.missing = f"not computed by the baseline: {str(error).splitlines()[0]}"
        return result
    result.missing_columns = {
        "warehouse": [c for c in (*keys, *tolerances) if c not in present],
        "baseline": [c for c in (*keys, *tolerances) if c not in available],
    }
    known = {*keys, *tolerances, *NOT_COMPARED.get(mart, ())}
    result.uncompared = sorted(present - known)
    if any(result.missing_columns.values()):
        return result
    compared = list(tolerances)
    projection = _projection([*keys, *compared], dates)
    join = " and ".join(f"w.{k} = b.{k}" for k in keys)
    differs = []
    for column in compared:
        tolerance = tolerances[column]
        if tolerance is None:
            differs.append(f"count(*) filter (where w.{column} is distinct from b.{column})")
        else:
            differs.append(
                f"count(*) filter (where (w.{column} is null) <> (b.{column} is null) "
                f"or abs(w.{column} - b.{column}) > {tolerance})"
            )
    first = keys[0]
    sql = f"""
        with w as (select {projection} from {warehouse}),
             b as (select {projection} from {baseline})
        select
            count(w.{first}), count(b.{first}),
            count(*) filter (where b.{first} is null),
            count(*) filter (where w.{first} is null)
            {"".join(", " + d for d in differs)}
        from w full outer join b on {join}
    """
    row = con.execute(sql).fetchone()
    result.warehouse_rows, result.baseline_rows = int(row[0]), int(row[1])
    result.only_in_warehouse, result.only_in_baseline = int(row[2]), int(row[3])
    result.mismatches = dict(zip(compared, (int(v) for v in row[4:]), strict=True))
    return result


def compare_all(
    warehouse: Path, duckdb_baseline: Path | None, pandas_baseline: Path | None
) -> list[Comparison]:
    """Every mart of MARTS against each baseline that ran."""
    results: list[Comparison] = []
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        if duckdb_baseline is not None:
            con.execute(f"attach '{duckdb_baseline}' as a (read_only)")
        for mart in MARTS:
            source = f"w.marts.{mart}"
            if duckdb_baseline is not None:
                results.append(compare_mart(con, mart, source, f"a.main.{mart}", "baseline A"))
            if pandas_baseline is not None:
                parquet = pandas_baseline / f"{mart}.parquet"
                relation = f"read_parquet('{parquet}')" if parquet.exists() else "missing_b"
                results.append(compare_mart(con, mart, source, relation, "baseline B"))
    return results
