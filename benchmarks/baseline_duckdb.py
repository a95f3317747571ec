"""Baseline A: the marts computed by hand-written DuckDB SQL in one script (no dbt).

The floor the warehouse aims to approach: the same inputs (raw Parquet files
and the fx / industry seeds), the same validation rules for the rows that
matter (keys, timestamps, status, amounts, currency, duplicate keys: the first
copy wins), the same outputs written as tables of a DuckDB file:
fct_orders, dim_customers, fct_retention_periods (month / quarter / year, by
merging each customer's activity windows into spans) and fct_cohort_retention.
It does not build the rejects table, carts or marketing spend.

Run: ``python -m benchmarks.baseline_duckdb RAW_DIR OUT.duckdb`` (prints
seconds per step as JSON on the last line).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

from retention.dbt import PROJECT_ROOT
from retention.pii import pii_hash_salt

SEEDS = PROJECT_ROOT / "seeds"
GRAINS = (("month", 1), ("quarter", 3), ("year", 12))


def _period(date_sql: str, months: int) -> str:
    return f"((year({date_sql}) * 12 + month({date_sql}) - 1) // {months})"


def _steps(raw: Path, window: int, salt: str, reporting: str) -> list[tuple[str, str]]:
    def clean(column: str) -> str:
        return f"nullif(trim(cast({column} as varchar)), '')"

    def ts(column: str) -> str:
        return f"try_cast(try_cast({column} as timestamptz) as timestamp)"

    def money(column: str) -> str:
        return f"try_cast({column} as decimal(18, 2))"

    in_range = "between timestamp '1990-01-01' and timestamp '2099-12-31 23:59:59'"
    periods = " union all ".join(
        f"select '{name}' as period_grain, {months} as months" for name, months in GRAINS
    )
    return [
        (
            "reference data",
            f"""
            create temp table fx as
            select upper(r.currency) as currency, r.month,
                   r.rate_to_usd / u.rate_to_usd as rate
            from read_csv('{SEEDS}/fx_rates.csv') as r
            join read_csv('{SEEDS}/fx_rates.csv') as u
              on u.currency = '{reporting}' and u.month = r.month;
            create temp table stores as
            select s.store_id, coalesce(g.industry_segment, 'unclassified') as industry_segment,
                   s.currency
            from (
                select {clean("store_id")} as store_id,
                       lower({clean("industry_segment")}) as code,
                       upper({clean("currency")}) as currency
                from read_parquet('{raw}/stores.parquet', file_row_number = true)
                where {clean("store_id")} is not null
                qualify row_number() over (partition by store_id order by file_row_number) = 1
            ) as s
            left join read_csv('{SEEDS}/industry_segments.csv') as g
              on s.code = g.industry_segment;
            """,
        ),
        (
            "orders",
            f"""
            create temp table orders as
            with typed as (
                select {clean("o.store_id")} as store_id, {clean("order_id")} as order_id,
                       {clean("customer_id")} as customer_id, {ts("ordered_at")} as ordered_at,
                       lower({clean("status")}) as status,
                       coalesce(upper({clean("o.currency")}), s.currency, '{reporting}')
                           as currency,
                       {money("subtotal_amount")} as subtotal,
                       coalesce({money("discount_amount")}, 0) as discount,
                       coalesce({money("shipping_amount")}, 0) as shipping,
                       coalesce({money("tax_amount")}, 0) as tax,
                       lower({clean("channel")}) as channel, lower({clean("device")}) as device,
                       {clean("discount_code")} as discount_code, file_row_number
                from read_parquet('{raw}/orders.parquet', file_row_number = true) as o
                left join stores as s on {clean("o.store_id")} = s.store_id
            )
            , valid as (
                select t.*, fx.rate,
                       cast(t.ordered_at as date) as order_date,
                       t.status in ('completed', 'refunded') as is_purchase,
                       t.discount > 0 or t.discount_code is not null as has_discount
                from typed as t
                join fx on fx.currency = t.currency
                       and fx.month = date_trunc('month', t.ordered_at)
                where t.store_id is not null and t.order_id is not null
                  and t.ordered_at {in_range}
                  and t.status in ('completed', 'cancelled', 'refunded', 'pending')
                  and t.subtotal >= 0 and t.discount >= 0 and t.shipping >= 0 and t.tax >= 0
                  and t.discount <= t.subtotal
                  and t.subtotal * fx.rate <= 1000000
            ),
            -- duplicate keys by a hash aggregate (normally empty), not a sort of every row
            duplicates as (
                select store_id, order_id, min(file_row_number) as first_row
                from valid group by store_id, order_id having count(*) > 1
            )
            select v.* exclude (file_row_number)
            from valid as v
            left join duplicates as d using (store_id, order_id)
            where d.first_row is null or v.file_row_number = d.first_row;
            create temp table as_of as select max(order_date) as as_of from orders;
            """,
        ),
        (
            "refunds",
            f"""
            create temp table refunds as
            with typed as (
                select {clean("store_id")} as store_id, {clean("refund_id")} as refund_id,
                       {clean("order_id")} as order_id, {ts("refunded_at")} as refunded_at,
                       {money("amount")} as amount, file_row_number
                from read_parquet('{raw}/refunds.parquet', file_row_number = true)
            ),
            valid as (
                select t.*, o.subtotal - o.discount as order_value
                from typed as t
                join orders as o using (store_id, order_id)
                where t.refund_id is not null and t.refunded_at {in_range}
                  and t.amount > 0 and t.refunded_at >= o.ordered_at
                qualify row_number() over (
                    partition by t.store_id, t.refund_id order by t.file_row_number) = 1
            ),
            running as (
                select *, sum(amount) over (
                    partition by store_id, order_id order by refunded_at, refund_id
                    rows between unbounded preceding and current row) as so_far
                from valid
            )
            select store_id, order_id, sum(amount) as refunded
            from running, as_of
            where so_far <= order_value and cast(refunded_at as date) <= as_of
            group by store_id, order_id;
            """,
        ),
        (
            "fct_orders",
            """
            create table fct_orders as
            with joined as (
                select o.*, coalesce(r.refunded, 0) as refunded,
                       coalesce(s.industry_segment, 'unclassified') as industry_segment,
                       o.is_purchase and o.customer_id is not null as is_customer_purchase
                from orders as o
                left join refunds as r using (store_id, order_id)
                left join stores as s using (store_id)
                where o.order_date <= (select as_of from as_of)
            ),
            sequenced as (
                select *,
                       -- each amount rounded to cents, the refund capped at the
                       -- order's value (DECISIONLOG: Money)
                       round(subtotal * rate, 2) - round(discount * rate, 2)
                           - least(round(refunded * rate, 2),
                                   round(subtotal * rate, 2) - round(discount * rate, 2))
                           as net,
                       row_number() over w as n,
                       lag(order_date) over w as previous_date,
                       first_value(case when is_customer_purchase then order_date end) over w
                           as first_date
                from joined
                -- one sort: a customer's purchases first, so that n and lag are theirs
                window w as (partition by store_id, customer_id
                             order by is_customer_purchase desc, ordered_at, order_id)
            )
            select store_id, order_id, customer_id, industry_segment, ordered_at, order_date,
                   status, is_purchase,
                   cast(case when is_purchase then net else 0 end as decimal(18, 2))
                       as net_revenue,
                   cast(round(discount * rate, 2) as decimal(18, 2)) as discount_amount,
                   has_discount, channel, device,
                   case when is_customer_purchase then n = 1 end as is_first_order,
                   cast(case when is_customer_purchase then n end as integer)
                       as customer_order_number,
                   cast(case when is_customer_purchase
                        then order_date - previous_date end as integer)
                       as days_since_previous_order,
                   cast(date_trunc('month', first_date) as date) as cohort_month,
                   cast(case when is_customer_purchase then date_diff('month',
                        date_trunc('month', first_date), date_trunc('month', order_date)) end
                        as integer) as months_since_first_order
            from sequenced;
            """,
        ),
        (
            "dim_customers",
            f"""
            create table dim_customers as
            with customers as (
                select store_id, customer_id, min(industry_segment) as industry_segment,
                       min(ordered_at) as first_order_at, max(ordered_at) as last_order_at,
                       min(order_date) as first_order_date, max(order_date) as last_order_date,
                       count(*) as orders_count, count(distinct order_date) as purchase_days,
                       sum(net_revenue) as net_revenue,
                       count(case when has_discount then 1 end) as discounted_orders_count
                from fct_orders
                where customer_order_number is not null
                group by store_id, customer_id
            ),
            profiles as (
                select {clean("store_id")} as store_id, {clean("customer_id")} as customer_id,
                       {ts("created_at")} as created_at,
                       sha256('{salt}' || lower({clean("email")})) as email_hash,
                       upper({clean("country_code")}) as country_code,
                       try_cast(accepts_marketing as boolean) as accepts_marketing,
                       {ts("loyalty_member_since")} as loyalty_member_since
                from read_parquet('{raw}/customers.parquet', file_row_number = true)
                qualify row_number() over (
                    partition by store_id, customer_id order by file_row_number) = 1
            )
            select c.*, cast(date_trunc('month', c.first_order_date) as date) as cohort_month,
                   cast(round(c.net_revenue / c.orders_count, 2) as decimal(18, 2))
                       as average_order_value,
                   p.created_at as registered_at, p.country_code, p.accepts_marketing,
                   p.loyalty_member_since,
                   case when p.customer_id is not null then coalesce(
                       cast(p.loyalty_member_since as date) <= (select as_of from as_of), false)
                   end as is_loyalty_member,
                   p.email_hash
            from customers as c
            left join profiles as p using (store_id, customer_id);
            """,
        ),
        (
            "fct_retention_periods",
            f"""
            -- 1. activity spans: a purchase on day p makes the customer active on
            --    [p, p + W - 1]; a gap of more than W days starts a new span
            create temp table spans as
            with days as (
                select store_id, customer_id, order_date as d,
                       lag(order_date) over w as prev, lead(order_date) over w as next
                from (select distinct store_id, customer_id, order_date from fct_orders
                      where customer_order_number is not null)
                window w as (partition by store_id, customer_id order by order_date)
            ),
            bounds as (
                select store_id, customer_id, d,
                       prev is null as is_first,
                       prev is null or d - prev > {window} as is_start,
                       next is null or next - d > {window} as is_end
                from days
                where prev is null or d - prev > {window} or next is null or next - d > {window}
            ),
            paired as (
                select *, case when is_end then d else lead(d) over (
                              partition by store_id, customer_id order by d) end as last_day
                from bounds
            )
            select store_id, customer_id, is_first, d as active_from,
                   last_day + {window} - 1 as active_until
            from paired where is_start;

            -- 2. per grain, the run of periods whose measurement day
            --    least(period end, as_of) a span contains: [p1, p2]
            create temp table measured as
            with g as ({periods})
            select s.store_id, s.customer_id, s.is_first, g.period_grain, g.months,
                   {_period("s.active_from", 1)} // g.months as p1,
                   case when s.active_until >= a.as_of then {_period("a.as_of", 1)} // g.months
                        else {_period("s.active_until + 1", 1)} // g.months - 1 end as p2
            from spans as s, g, as_of as a;

            -- 3. +1/-1 events; running sums over the period index give the counts
            create temp table events as
            with kept as (
                select *, lag(p2) over (partition by store_id, customer_id, period_grain
                                        order by p1) as previous_p2
                from measured where p2 >= p1
            )
            select store_id, period_grain, p, sum(e) as e, sum(r) as r, sum(n) as n,
                   sum(acquired) as acquired
            from (
                select store_id, period_grain, p1 as p, 1 as e, 0 as r,
                       case when is_first then 1 else 0 end as n, 0 as acquired from kept
                union all select store_id, period_grain, p2 + 1, -1, 0, 0, 0 from kept
                union all select store_id, period_grain,
                       case when previous_p2 = p1 - 1 then p1 else p1 + 1 end, 0, 1, 0, 0
                from kept
                union all select store_id, period_grain, p2 + 1, 0, -1, 0, 0 from kept
                union all select store_id, period_grain, p1, 0, 0, 0, 1
                from measured where is_first
            )
            group by all;

            create table fct_retention_periods as
            with g as ({periods}),
            store_first as (
                select store_id, min(industry_segment) as industry_segment,
                       min(order_date) as first_day
                from fct_orders where customer_order_number is not null group by store_id
            ),
            spine as (
                select f.store_id, f.industry_segment, g.period_grain, g.months,
                       unnest(generate_series({_period("f.first_day", 1)} // g.months,
                                              {_period("a.as_of", 1)} // g.months)) as p
                from store_first as f, g, as_of as a
            ),
            counted as (
                select spine.*, coalesce(ev.n, 0) as n, coalesce(ev.acquired, 0) as acquired,
                       sum(coalesce(ev.e, 0)) over w as e,
                       sum(coalesce(ev.r, 0)) over w as r
                from spine left join events as ev using (store_id, period_grain, p)
                window w as (partition by spine.store_id, spine.period_grain order by spine.p)
            ),
            shifted as (
                select *, coalesce(lag(e) over (partition by store_id, period_grain order by p), 0)
                       as s,
                       make_date(cast(p * months // 12 as integer),
                                 cast(p * months % 12 + 1 as integer), 1) as period_start
                from counted
            )
            select store_id, industry_segment, period_grain, period_start,
                   cast(period_start + to_months(months) - interval 1 day as date) as period_end,
                   cast(s as bigint) as customers_start, cast(e as bigint) as customers_end,
                   cast(n as bigint) as new_customers, cast(r as bigint) as retained_customers,
                   cast(s - r as bigint) as churned_customers,
                   cast(e - r - n as bigint) as reactivated_customers,
                   cast(acquired as bigint) as acquired_customers,
                   case when s > 0 then (e - n) / s end as crr,
                   case when s > 0 then (s - r) / s end as churn_rate
            from shifted;
            """,
        ),
        (
            "fct_cohort_retention",
            """
            create table fct_cohort_retention as
            with purchases as (
                select * from fct_orders where customer_order_number is not null
            ),
            cohorts as (
                select store_id, cohort_month, min(industry_segment) as industry_segment,
                       count(distinct customer_id) as cohort_size
                from purchases group by store_id, cohort_month
            ),
            activity as (
                select store_id, cohort_month, months_since_first_order,
                       count(distinct customer_id) as active_customers,
                       sum(net_revenue) as net_revenue
                from purchases group by all
            ),
            triangle as (
                select c.*, unnest(generate_series(0, date_diff('month', c.cohort_month,
                       date_trunc('month', (select as_of from as_of))))) as months_since_first_order
                from cohorts as c
            )
            select t.store_id, t.industry_segment, t.cohort_month,
                   cast(t.months_since_first_order as integer) as months_since_first_order,
                   cast(t.cohort_size as bigint) as cohort_size,
                   cast(coalesce(a.active_customers, 0) as bigint) as active_customers,
                   coalesce(a.active_customers, 0) / t.cohort_size as retention_rate,
                   cast(coalesce(a.net_revenue, 0) as decimal(18, 2)) as net_revenue,
                   cast(sum(coalesce(a.net_revenue, 0)) over (
                       partition by t.store_id, t.cohort_month
                       order by t.months_since_first_order) as decimal(18, 2))
                       as cumulative_net_revenue,
                   sum(coalesce(a.net_revenue, 0)) over (
                       partition by t.store_id, t.cohort_month
                       order by t.months_since_first_order) / t.cohort_size
                       as cumulative_net_revenue_per_customer
            from triangle as t
            left join activity as a using (store_id, cohort_month, months_since_first_order);
            """,
        ),
    ]


def run(
    raw: Path,
    out: Path,
    window: int = 365,
    salt: str | None = None,
    reporting: str = "USD",
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict[str, float]:
    """Build the baseline tables into ``out`` (replaced); returns seconds per step.
    The e-mail salt defaults to the build's (retention.pii: PII_HASH_SALT)."""
    if salt is None:
        salt = pii_hash_salt(raw)
    salt = salt.replace("'", "''")
    out.unlink(missing_ok=True)
    Path(str(out) + ".wal").unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    with duckdb.connect(str(out)) as con:
        con.execute("set TimeZone = 'UTC'")
        # DuckDB 1.5.6 fails with an internal error ("Failed to cast expression
        # to type") in this optimizer on the `qualify row_number() = 1` dedups
        con.execute("set disabled_optimizers = 'top_n_window_elimination'")
        if threads:
            con.execute(f"set threads = {threads}")
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        for name, sql in _steps(raw.resolve(), window, salt, reporting):
            start = time.perf_counter()
            con.execute(sql)
            seconds[name] = time.perf_counter() - start
        start = time.perf_counter()
        con.execute("checkpoint")
        seconds["checkpoint"] = time.perf_counter() - start
    seconds["total"] = sum(seconds.values())
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--window", type=int, default=365)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--memory-limit", default=None)
    args = parser.parse_args(argv)
    seconds = run(
        args.raw, args.out, args.window, threads=args.threads, memory_limit=args.memory_limit
    )
    print(json.dumps(seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
