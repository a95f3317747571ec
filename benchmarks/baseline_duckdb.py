"""Baseline A: the marts computed by hand-written DuckDB SQL in one script (no dbt).

The floor the warehouse aims to approach: the same inputs (raw Parquet files
and the fx / RFM seeds), the same validation rules for the rows that matter
(keys, timestamps, status, amounts, currency, FX rates, duplicate keys: the
first of identical copies wins, conflicting copies are all rejected), the
same outputs written as tables of a DuckDB file, every column of:
fct_orders, dim_customers without the CLV columns (profile, RFM scores and
segment, behavioural flags), fct_retention_periods (month / quarter / year,
by merging each customer's activity windows into spans) and
fct_cohort_retention. It builds no rejects table, marketing spend or CLV.

Written for speed, not for reuse: native Parquet timestamps are used as they
are (no text or timestamptz round trip), insertion order is not preserved,
duplicate keys are found on a 64-bit hash of the key (only the few colliding
rows are compared on the real key), ranks of low-cardinality values
(recency, frequency) come from per-value counts instead of sorts, and of the
carts only the recent abandoned ones (and rows sharing their keys) are
validated. Default dbt vars only (docs/configuration.md); a raw fx_rates
file is not read (the bench data has none: the run stops if one is there).

Run: ``python -m benchmarks.baseline_duckdb RAW_DIR OUT.duckdb`` (prints
seconds per step as JSON on the last line).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import duckdb

from retention.dbt import PROJECT_ROOT
from retention.pii import pii_hash_salt

SEEDS = PROJECT_ROOT / "seeds"
GRAINS = (("month", 1), ("quarter", 3), ("year", 12))
#: dbt vars of dbt_project.yml the marts depend on (defaults)
ACTIVE_WINDOW_DAYS = 365
CHURN_RISK_DAYS = 180
VIP_TOP_SHARE = 0.05
CART_WINDOW_DAYS = 30
MAX_PLAUSIBLE_ORDER_AMOUNT = 1_000_000
MIN_VALID_DATE = "1990-01-01"


def _period(date_sql: str, months: int) -> str:
    return f"((year({date_sql}) * 12 + month({date_sql}) - 1) // {months})"


def clean(column: str) -> str:
    """Trimmed text, blank = null (macro clean_text)."""
    return f"nullif(trim(cast({column} as varchar)), '')"


def money(column: str) -> str:
    return f"try_cast({column} as decimal(18, 2))"


def in_range(column: str) -> str:
    """Not before min_valid_date nor after the end of the day after today (macro
    timestamp_out_of_range, negated; null when the timestamp is null)."""
    return f"({column} >= date '{MIN_VALID_DATE}' and {column} < current_date + interval 2 day)"


def local_date(timestamp: str, timezone: str, offsets: str) -> str:
    """The store's local date of a naive UTC timestamp (macro utc_to_local_date).
    ``offsets`` is the alias of tz_days joined on (timezone, UTC date): a day whose
    offset is constant adds it (an integer addition instead of an ICU conversion per
    row); a DST-change day, or a day outside the table, is converted by ICU."""
    return (
        f"case when {timezone} is null then cast({timestamp} as date) "
        f"when {offsets}.offset_us is not null "
        f"then cast({timestamp} + to_microseconds({offsets}.offset_us) as date) "
        f"else cast(timezone({timezone}, cast({timestamp} as timestamptz)) as date) end"
    )


def offsets_join(timestamp: str, timezone: str, alias: str) -> str:
    return (
        f"left join tz_days as {alias} on {alias}.timezone = {timezone} "
        f"and {alias}.day = cast({timestamp} as date)"
    )


def _tz_days(first_timestamp: str) -> str:
    """Per store time zone and UTC day from the first order to the day after
    tomorrow: the zone's UTC offset, for the days on which it does not change."""
    day_start = "cast(d.day as timestamp)"
    day_end = "(cast(d.day as timestamp) + interval 1 day - interval 1 microsecond)"

    def offset(instant: str) -> str:
        return (
            f"epoch_us(cast(timezone(z.timezone, cast({instant} as timestamptz)) as timestamp))"
            f" - epoch_us({instant})"
        )

    return f"""
        create temp table tz_days as
        with z as (select distinct timezone from stores where timezone is not null),
        d as (
            select cast(unnest(generate_series(
                       greatest(cast(({first_timestamp}) as date), date '{MIN_VALID_DATE}'),
                       current_date + 2, interval 1 day)) as date) as day
        ),
        o as (
            select z.timezone, d.day, {offset(day_start)} as at_start,
                   {offset(day_end)} as at_end
            from z, d
        )
        select timezone, day, at_start as offset_us from o where at_start = at_end;
    """


def timestamp_of(column: str, source_type: str) -> str:
    """A raw timestamp column -> naive UTC timestamp (macro parse_timestamp, default
    vars). A native Parquet timestamp is used as it is."""
    kind = source_type.upper()
    if kind in ("TIMESTAMP", "DATE") or kind.startswith("TIMESTAMP_") or kind == "DATETIME":
        return f"cast({column} as timestamp)"
    if kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        return f"cast({column} as timestamp)"
    # text: offsets honoured through timestamptz (no Shopify / slash-date rewriting)
    return f"try_cast(try_cast(trim(cast({column} as varchar)) as timestamptz) as timestamp)"


def unparsed(column: str, parsed: str, source_type: str) -> str:
    """Present in the file but null after parsing (macro failed_to_parse)."""
    if source_type.upper().startswith("VARCHAR"):
        return f"({clean(column)} is not null and {parsed} is null)"
    return f"({column} is not null and {parsed} is null)"


def raw_parquet(raw: Path, table: str) -> str:
    """The rows of a raw table with their file_row_number: ``NAME.parquet``, or every
    Parquet file of the folder ``NAME/`` (a folder table, docs/raw-data.md), numbered
    across its files in file name order (the first of identical copies wins)."""
    folder = raw / table
    if (raw / f"{table}.parquet").exists() or not folder.is_dir():
        return f"read_parquet('{raw}/{table}.parquet', file_row_number = true)"
    return (
        f"(select * replace (cast(file_index as bigint) * {1 << 40} + file_row_number"
        f" as file_row_number) from read_parquet('{folder}/*.parquet', file_row_number = true))"
    )


def deduplicated(relation: str, keys: str, content: str) -> str:
    """flag_duplicates: rows of ``relation`` (accepted so far, with file_row_number and
    _k = hash of the key) minus duplicates: identical copies keep the first, copies
    that differ are all dropped. Only rows whose 64-bit key hash repeats are compared
    on the key itself."""
    repeated = f"select _k from {relation} group by _k having count(*) > 1"
    return f"""
        select * exclude (_k) from {relation} where _k not in ({repeated})
        union all
        select * exclude (_k, _first, _low, _high) from (
            select *, min(file_row_number) over w as _first,
                   min(hash({content})) over w as _low, max(hash({content})) over w as _high
            from {relation} where _k in ({repeated})
            window w as (partition by {keys})
        )
        where _low = _high and file_row_number = _first
    """


def delete_duplicates(table: str, keys: str, content: str) -> str:
    """flag_duplicates in place on ``table`` (with file_row_number and _k = hash of the
    key): deletes the copies after the first of identical ones, and every copy of
    keys whose copies differ (``content``: an expression of the row's content).
    Only rows whose 64-bit key hash repeats are looked at."""
    return f"""
        delete from {table} where rowid in (
            select rowid from (
                select rowid, file_row_number,
                       min(file_row_number) over w as _first,
                       min({content}) over w as _low, max({content}) over w as _high
                from {table}
                where _k in (select _k from {table} group by _k having count(*) > 1)
                window w as (partition by {keys})
            )
            where _low <> _high or file_row_number <> _first
        );
    """


def top_share_limit(share: float) -> str:
    """ceil(share x the store's customers) (macro is_in_top_share), in a group by store."""
    return f"cast(ceil(cast({share} as decimal(9, 6)) * count(*)) as bigint)"


def _segment_lookup() -> str:
    """Every (R, F, M) score triple -> the rfm_segments seed row(s) it falls in."""
    return f"""
        select t.r, t.f, t.m, s.rfm_segment
        from (select r.r, f.f, m.m
              from range(1, 6) as r(r), range(1, 6) as f(f), range(1, 6) as m(m)) as t
        left join read_csv('{SEEDS}/rfm_segments.csv') as s
          on t.r between s.r_min and s.r_max
         and (t.f + t.m) / 2.0 between s.fm_min and s.fm_max
    """


def _cart_abandoners(raw: Path, carts_t: dict[str, str], as_of: str) -> str:
    """is_cart_abandoner's inputs: stores with any cart row, and customers with an
    accepted abandoned cart in the last N local days and no purchase after it.
    Only the recent abandoned carts, and the rows sharing their key (duplicates),
    are checked for unknown orders and deduplicated."""
    if not carts_t:
        return (
            "create temp table stores_with_carts as select null::varchar as store_id where false;"
            " create temp table cart_abandoners as select null::varchar as store_id,"
            " null::varchar as customer_id where false;"
        )
    file = raw_parquet(raw, "carts")
    created = timestamp_of("created_at", carts_t["created_at"])
    typed = f"""
        select {clean("cart_id")} as cart_id, {clean("store_id")} as store_id,
               {clean("customer_id")} as customer_id, {created} as created_at,
               {money("cart_value")} as cart_value,
               {unparsed("cart_value", money("cart_value"), carts_t["cart_value"])} as bad_value,
               {clean("order_id")} as order_id, file_row_number
        from {file}
    """
    # every check but unknown_order (done on the few rows that matter)
    checked = f"""
        select * exclude (bad_value), hash(store_id, cart_id) as _k from typed
        where cart_id is not null and store_id is not null
          and {in_range("created_at")} and not bad_value and coalesce(cart_value, 0) >= 0
    """
    key = f"hash({clean('store_id')}, {clean('cart_id')})"
    return f"""
        create temp table stores_with_carts as
        select distinct {clean("store_id")} as store_id from {file}
        where {clean("store_id")} is not null;
        -- the abandoned carts of the last N local days (a day's margin in UTC)
        create temp table window_carts as
        with typed as (
            {typed} where {created} >= getvariable('as_of') - interval {CART_WINDOW_DAYS + 2} day
        ),
        checked as ({checked})
        select * from (
            select c.*, {local_date("c.created_at", "s.timezone", "z")} as created_date
            from checked as c left join stores as s using (store_id)
            {offsets_join("c.created_at", "s.timezone", "z")}
            where c.order_id is null and c.customer_id is not null
        )
        where created_date > {as_of} - {CART_WINDOW_DAYS} and created_date <= {as_of};
        create temp table cart_abandoners as
        -- every row sharing a key with one of them: duplicates
        with typed as ({typed} where {key} in (select _k from window_carts)),
        same_key as ({checked}),
        known_orders as (
            select o.store_id, o.order_id from orders as o
            semi join (select distinct store_id, order_id from same_key
                       where order_id is not null) as k
              on k.store_id = o.store_id and k.order_id = o.order_id
        ),
        accepted as (
            select k.* from same_key as k
            left join known_orders as o on o.store_id = k.store_id and o.order_id = k.order_id
            where k.order_id is null or o.order_id is not null
        ),
        kept as (
            {
        deduplicated(
            "accepted", "store_id, cart_id", "customer_id, created_at, cart_value, order_id"
        )
    }
        )
        select distinct w.store_id, w.customer_id
        from window_carts as w
        join kept as k on k.store_id = w.store_id and k.cart_id = w.cart_id
                      and k.file_row_number = w.file_row_number
        join customers as c on c.store_id = w.store_id and c.customer_id = w.customer_id
        where c.last_order_at <= w.created_at;
    """


def _spans(window: int) -> str:
    """Activity spans from the purchases that start one (the first, or a gap of more
    than W days since the previous purchase: fct_orders.days_since_previous_order);
    a span ends on the purchase day before the next start (its date minus its gap),
    the last one on the customer's last purchase day. Needs purchase dates in
    sequence order (no negative gap): run() checks, else _spans_from_days."""
    return f"""
            with starts as (
                select store_id, customer_id, order_date as d,
                       customer_order_number = 1 as is_first,
                       order_date - days_since_previous_order as previous_day
                from fct_orders
                where customer_order_number is not null
                  and (days_since_previous_order is null or days_since_previous_order > {window})
            )
            select s.store_id, s.customer_id, s.is_first, s.d as active_from,
                   coalesce(lead(s.previous_day) over (
                                partition by s.store_id, s.customer_id order by s.d),
                            c.last_order_date) + {window} - 1 as active_until
            from starts as s join customers as c using (store_id, customer_id);
    """


def _spans_from_days(window: int) -> str:
    """Activity spans from each customer's distinct purchase days in date order."""
    return f"""
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

    """


def _purchase_periods(periods: str, monotone: bool) -> str:
    """Purchasing / returning customers per store x grain x period. A customer's
    purchase is their first of the period when the previous one (its date minus
    days_since_previous_order) is in an earlier period: a count, no distinct
    (needs purchase dates in sequence order, like _spans)."""
    if monotone:
        this = _period("order_date", 1) + " // g.months"
        before = _period("order_date - days_since_previous_order", 1) + " // g.months"
        return f"""
            select store_id, g.period_grain, {this} as p, count(*) as purchasing,
                   count(*) filter (where {this} > {_period("cohort_month", 1)} // g.months)
                       as returners
            from fct_orders, ({periods}) as g
            where customer_order_number is not null
              and (days_since_previous_order is null or {before} < {this})
            group by all;
        """
    return f"""
            with months as (
                select distinct store_id, customer_id, {_period("order_date", 1)} as p,
                       {_period("cohort_month", 1)} as first_p
                from fct_orders where customer_order_number is not null
            )
            select store_id, g.period_grain, p // g.months as p,
                   count(distinct customer_id) as purchasing,
                   count(distinct customer_id) filter (where p // g.months > first_p // g.months)
                       as returners
            from months, ({periods}) as g
            group by all;

    """


def _steps(
    raw: Path,
    types: dict[str, dict[str, str]],
    window: int,
    salt: str,
    reporting: str,
    monotone: bool = True,
) -> list[tuple[str, str]]:
    orders_t, refunds_t, customers_t, carts_t = (
        types["orders"],
        types["refunds"],
        types["customers"],
        types["carts"],
    )
    ordered_at = timestamp_of("ordered_at", orders_t["ordered_at"])
    refunded_at = timestamp_of("refunded_at", refunds_t["refunded_at"])
    created_at = timestamp_of("created_at", customers_t["created_at"])
    loyalty = timestamp_of("loyalty_member_since", customers_t["loyalty_member_since"])
    periods = " union all ".join(
        f"select '{name}' as period_grain, {months} as months" for name, months in GRAINS
    )
    as_of = "(select as_of from as_of)"
    # a customer's purchase is their first of its month when the previous one is in
    # an earlier month (a count instead of a distinct; see _purchase_periods)
    active_customers = (
        "count(*) filter (where days_since_previous_order is null or "
        f"{_period('order_date - days_since_previous_order', 1)} < {_period('order_date', 1)})"
        if monotone
        else "count(distinct customer_id)"
    )
    optional_amounts = " or ".join(
        unparsed(c, money(c), orders_t[c])
        for c in ("discount_amount", "shipping_amount", "tax_amount")
    )
    return [
        (
            "reference data",
            f"""
            -- stg_fx_rates from the seed: rates to USD triangulated to the reporting
            -- currency, the reporting currency itself is 1 at any date (in the orders)
            create temp table fx as
            with rates as (
                select upper(currency) as currency, cast(month as date) as month,
                       cast(rate_to_usd as double) as rate_to_usd
                from read_csv('{SEEDS}/fx_rates.csv') where upper(currency) <> 'USD'
            ),
            reporting as (select month, rate_to_usd from rates where currency = '{reporting}')
            select r.currency, r.month,
                   case when '{reporting}' = 'USD' then r.rate_to_usd
                        else r.rate_to_usd / p.rate_to_usd end as rate
            from rates as r left join reporting as p using (month)
            union all
            select 'USD', month, 1 / rate_to_usd from reporting;
            create temp table stores as
            with typed as (
                select {clean("store_id")} as store_id,
                       lower({clean("industry_segment")}) as industry_segment,
                       upper({clean("currency")}) as currency, {clean("timezone")} as timezone,
                       {clean("store_name")} as store_name,
                       upper({clean("country_code")}) as country_code, file_row_number
                from {raw_parquet(raw, "stores")}
            ),
            accepted as (
                select *, hash(store_id) as _k from typed
                where store_id is not null
                  and (timezone is null
                       or timezone in (select name from pg_timezone_names()))
            )
            select store_id, coalesce(industry_segment, 'unclassified') as industry_segment,
                   currency, timezone
            from ({
                deduplicated(
                    "accepted",
                    "store_id",
                    "store_name, industry_segment, currency, country_code, timezone",
                )
            });
            create temp table segment_lookup as {_segment_lookup()};
            """,
        ),
        (
            "orders",
            f"""
            {_tz_days(f"select min({ordered_at}) from {raw_parquet(raw, 'orders')}")}
            create temp table orders as
            with typed as (
                select {clean("o.store_id")} as store_id, {clean("order_id")} as order_id,
                       {clean("customer_id")} as customer_id, {ordered_at} as ordered_at,
                       lower({clean("status")}) as status,
                       coalesce(upper({clean("o.currency")}), s.currency, '{reporting}')
                           as currency,
                       {money("subtotal_amount")} as subtotal,
                       {money("discount_amount")} as discount,
                       {money("shipping_amount")} as shipping,
                       {money("tax_amount")} as tax,
                       {optional_amounts} as has_unparseable_optional_amount,
                       lower({clean("channel")}) as channel, lower({clean("device")}) as device,
                       {clean("discount_code")} as discount_code,
                       s.timezone, s.industry_segment, file_row_number,
                       {local_date(ordered_at, "s.timezone", "z")} as order_date
                from {raw_parquet(raw, "orders")} as o
                left join stores as s on {clean("o.store_id")} = s.store_id
                -- here, where the planner knows the row count: tz_days is the build side
                {offsets_join(ordered_at, "s.timezone", "z")}
            ),
            priced as (
                select t.*,
                       case when t.currency = '{reporting}' then 1.0 else fx.rate end as rate
                from typed as t
                left join fx on fx.currency = t.currency
                            and fx.month = cast(date_trunc('month', t.ordered_at) as date)
                where t.store_id is not null and t.order_id is not null
                  and {in_range("t.ordered_at")}
                  and t.status in ('completed', 'cancelled', 'refunded', 'pending')
                  and t.subtotal is not null and not t.has_unparseable_optional_amount
                  and t.subtotal >= 0 and coalesce(t.discount, 0) >= 0
                  and coalesce(t.shipping, 0) >= 0 and coalesce(t.tax, 0) >= 0
                  and coalesce(t.discount, 0) <= t.subtotal
                  and (t.currency = '{reporting}'
                       or t.currency in (select distinct currency from fx))
            )
            select p.* exclude (has_unparseable_optional_amount, discount, shipping, tax),
                   coalesce(p.discount, 0) as discount, coalesce(p.shipping, 0) as shipping,
                   coalesce(p.tax, 0) as tax, hash(p.store_id, p.order_id) as _k,
                   -- the content as parsed (a missing discount differs from 0)
                   hash(p.customer_id, p.ordered_at, p.status, p.currency, p.subtotal,
                        p.discount, p.shipping, p.tax, p.channel, p.device, p.discount_code)
                       as _h
            from priced as p
            where p.rate is not null and p.subtotal * p.rate <= {MAX_PLAUSIBLE_ORDER_AMOUNT};
            {delete_duplicates("orders", "store_id, order_id", "_h")}

            create temp table as_of as select max(order_date) as as_of from orders;
            set variable as_of = (select as_of from as_of);
            """,
        ),
        (
            "refunds",
            f"""
            create temp table valid_refunds as
            with typed as (
                select {clean("store_id")} as store_id, {clean("refund_id")} as refund_id,
                       {clean("order_id")} as order_id, {refunded_at} as refunded_at,
                       {money("amount")} as amount, file_row_number
                from {raw_parquet(raw, "refunds")}
            )
            select t.*, o.subtotal - o.discount as order_value, o.timezone,
                   hash(t.store_id, t.refund_id) as _k
            from typed as t
            join orders as o using (store_id, order_id)
            where t.refund_id is not null and {in_range("t.refunded_at")}
              and t.amount > 0 and t.refunded_at >= o.ordered_at;

            create temp table refunds as
            with running as (
                select *, sum(amount) over (
                    partition by store_id, order_id order by refunded_at, refund_id
                    rows between unbounded preceding and current row) as so_far
                from ({
                deduplicated(
                    "valid_refunds", "store_id, refund_id", "order_id, refunded_at, amount"
                )
            })
            )
            select store_id, order_id, sum(amount) as refunded
            from running
            {offsets_join("running.refunded_at", "running.timezone", "z")}
            where so_far <= order_value
              and {local_date("running.refunded_at", "running.timezone", "z")} <= {as_of}
            group by store_id, order_id;
            drop table valid_refunds;
            """,
        ),
        (
            "fct_orders",
            """
            create table fct_orders as
            -- as_of is the latest order date: every order is on or before it, only the
            -- columns of the mart go through the window's sort
            with converted as (
                select o.store_id, o.order_id, o.customer_id, o.industry_segment,
                       o.ordered_at, o.order_date, o.status, o.is_purchase, o.currency,
                       o.discount, o.discount_code, o.channel, o.device,
                       o.is_purchase and o.customer_id is not null as is_customer_purchase,
                       round(o.subtotal * o.rate, 2) as subtotal_r,
                       round(o.discount * o.rate, 2) as discount_r,
                       round(coalesce(r.refunded, 0) * o.rate, 2) as refund_r,
                       round(o.shipping * o.rate, 2) as shipping_r,
                       round(o.tax * o.rate, 2) as tax_r
                from (select *, status in ('completed', 'refunded') as is_purchase
                      from orders) as o
                left join refunds as r using (store_id, order_id)
            ),
            sequenced as (
                select *,
                       -- the refund capped at the order's value (DECISIONLOG: Money)
                       case when is_purchase then least(refund_r, subtotal_r - discount_r)
                            else refund_r end as refund_amount_r,
                       row_number() over w as n,
                       lag(order_date) over w as previous_date,
                       first_value(case when is_customer_purchase then order_date end) over w
                           as first_date
                from converted
                -- one sort: a customer's purchases first, so that n and lag are theirs
                window w as (partition by store_id, customer_id
                             order by is_customer_purchase desc, ordered_at, order_id)
            )
            select store_id, order_id, customer_id,
                   coalesce(industry_segment, 'unclassified') as industry_segment,
                   ordered_at, order_date,
                   cast(date_trunc('month', order_date) as date) as order_month,
                   status, is_purchase, customer_id is null as is_guest,
                   currency as order_currency,
                   cast(subtotal_r as decimal(18, 2)) as subtotal_amount,
                   cast(discount_r as decimal(18, 2)) as discount_amount,
                   cast(refund_amount_r as decimal(18, 2)) as refund_amount,
                   cast(shipping_r as decimal(18, 2)) as shipping_amount,
                   cast(tax_r as decimal(18, 2)) as tax_amount,
                   cast(case when is_purchase
                        then subtotal_r - discount_r - refund_amount_r else 0 end
                        as decimal(18, 2)) as net_revenue,
                   discount > 0 or discount_code is not null as has_discount,
                   discount_code, channel, device,
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
            drop table refunds;
            """,
        ),
        (
            "dim_customers",
            f"""
            create temp table customers as
            select store_id, customer_id, min(industry_segment) as industry_segment,
                   min(ordered_at) as first_order_at, max(ordered_at) as last_order_at,
                   min(order_date) as first_order_date, max(order_date) as last_order_date,
                   count(*) as orders_count,
                   cast(sum(net_revenue) as decimal(18, 2)) as net_revenue,
                   count(*) filter (where has_discount) as discounted_orders_count
            from fct_orders
            where customer_order_number is not null
            group by store_id, customer_id;

            -- the customers file: only the rows of buying customers can reach the mart
            create temp table profiles as
            with typed as (
                select c.store_id, c.customer_id, {created_at} as created_at,
                       sha256('{salt}' || lower({clean("p.email")})) as email_hash,
                       upper({clean("p.country_code")}) as country_code,
                       try_cast({clean("p.accepts_marketing")} as boolean) as accepts_marketing,
                       {
                unparsed(
                    "p.accepts_marketing",
                    f"try_cast({clean('p.accepts_marketing')} as boolean)",
                    customers_t["accepts_marketing"],
                )
            } as bad_boolean,
                       {unparsed("created_at", created_at, customers_t["created_at"])}
                       or {
                unparsed("loyalty_member_since", loyalty, customers_t["loyalty_member_since"])
            } as bad_timestamp,
                       {loyalty} as loyalty_member_since, p.file_row_number,
                       hash(c.store_id, c.customer_id) as _k
                from {raw_parquet(raw, "customers")} as p
                join customers as c
                  on {clean("p.store_id")} = c.store_id
                 and {clean("p.customer_id")} = c.customer_id
            ),
            accepted as (
                select * exclude (bad_boolean, bad_timestamp) from typed
                where not bad_timestamp and not bad_boolean
                  and coalesce({in_range("created_at")}, true)
                  and coalesce({in_range("loyalty_member_since")}, true)
            )
            select * exclude (file_row_number)
            from ({
                deduplicated(
                    "accepted",
                    "store_id, customer_id",
                    "created_at, email_hash, country_code, accepts_marketing, loyalty_member_since",
                )
            });

            -- is_cart_abandoner: an accepted abandoned cart in the last N local days
            -- with no purchase after it, null for stores without any cart row
            {_cart_abandoners(raw, carts_t, as_of)}

            -- per store: customers and the rank limits of the top-share flags
            create temp table store_sizes as
            select store_id, count(*) as n,
                   greatest(count(*) - 1, 1) as n_minus_1,
                   {top_share_limit(VIP_TOP_SHARE)} as vip_limit,
                   {top_share_limit(0.2)} as high_aov_limit,
                   {top_share_limit(0.1)} as big_spender_limit
            from customers group by store_id;

            -- scores of low-cardinality values (recency, frequency) from per-value
            -- counts, not sorts, keyed by one text column so that the planner joins
            -- each lookup to the customers (never the two lookups on store_id)
            create temp table recency_scores as
            select store_id || '|' || days as key,
                   least(5, 1 + 5 * cast(coalesce(sum(k) over (
                       partition by store_id order by days desc
                       rows between unbounded preceding and 1 preceding), 0) as bigint)
                       // n_minus_1) as r
            from (select store_id, {as_of} - last_order_date as days, count(*) as k
                  from customers group by all)
            join store_sizes using (store_id);
            create temp table frequency_scores as
            select store_id || '|' || orders_count as key,
                   least(5, 1 + 5 * cast(coalesce(sum(k) over (
                       partition by store_id order by orders_count
                       rows between unbounded preceding and 1 preceding), 0) as bigint)
                       // n_minus_1) as f
            from (select store_id, orders_count, count(*) as k from customers group by all)
            join store_sizes using (store_id);

            create table dim_customers as
            with valued as (
                select c.*, {as_of} - c.last_order_date as days_since_last_order,
                       round(c.net_revenue / c.orders_count, 2) as average_order_value,
                       z.n_minus_1, z.vip_limit, z.high_aov_limit, z.big_spender_limit
                from customers as c join store_sizes as z using (store_id)
            ),
            ranked as (
                select *,
                       -- one sort for both directions: customers with a higher value =
                       -- n - (those with a lower or equal one)
                       rank() over monetary - 1 as monetary_worse,
                       count(*) over (monetary range between current row and current row)
                           as monetary_peers,
                       count(*) over (partition by store_id) as n,
                       rank() over (partition by store_id order by average_order_value desc)
                           as aov_rank
                from valued
                window monetary as (partition by store_id order by net_revenue)
            ),
            scored as (
                select v.*, rs.r, fs.f,
                       least(5, 1 + 5 * v.monetary_worse // v.n_minus_1) as m,
                       v.n - v.monetary_worse - v.monetary_peers + 1 as revenue_rank
                from ranked as v
                join recency_scores as rs on rs.key = v.store_id || '|' || v.days_since_last_order
                join frequency_scores as fs on fs.key = v.store_id || '|' || v.orders_count
            )
            select s.store_id, s.customer_id, coalesce(s.industry_segment, 'unclassified')
                       as industry_segment,
                   s.first_order_at, s.first_order_date,
                   cast(date_trunc('month', s.first_order_date) as date) as cohort_month,
                   s.last_order_at, s.last_order_date,
                   cast(s.orders_count as integer) as orders_count,
                   cast(s.net_revenue as decimal(18, 2)) as net_revenue,
                   cast(s.average_order_value as decimal(18, 2)) as average_order_value,
                   cast(s.discounted_orders_count as integer) as discounted_orders_count,
                   p.created_at as registered_at, p.country_code, p.accepts_marketing,
                   p.loyalty_member_since,
                   case when p.customer_id is not null then coalesce(
                       cast(p.loyalty_member_since as date) <= {as_of}, false)
                   end as is_loyalty_member,
                   cast(s.days_since_last_order as integer) as days_since_last_order,
                   cast(s.r as integer) as rfm_recency_score,
                   cast(s.f as integer) as rfm_frequency_score,
                   cast(s.m as integer) as rfm_monetary_score,
                   l.rfm_segment,
                   s.orders_count = 1 as is_first_time_buyer,
                   s.orders_count >= 2 as is_repeat_buyer,
                   s.revenue_rank <= s.vip_limit as is_vip,
                   2 * s.discounted_orders_count > s.orders_count as is_discount_shopper,
                   s.discounted_orders_count = 0 as is_full_price_buyer,
                   case when w.store_id is not null then a.customer_id is not null end
                       as is_cart_abandoner,
                   s.aov_rank <= s.high_aov_limit as is_high_aov,
                   s.revenue_rank <= s.big_spender_limit as is_big_spender,
                   s.days_since_last_order >= {CHURN_RISK_DAYS} as is_churn_risk,
                   p.email_hash
            from scored as s
            left join segment_lookup as l on l.r = s.r and l.f = s.f and l.m = s.m
            left join profiles as p using (store_id, customer_id)
            left join stores_with_carts as w using (store_id)
            left join cart_abandoners as a using (store_id, customer_id);
            """,
        ),
        (
            "fct_retention_periods",
            f"""
            -- 1. activity spans: a purchase on day p makes the customer active on
            --    [p, p + W - 1], a gap of more than W days starts a new span
            create temp table spans as
            {_spans(window) if monotone else _spans_from_days(window)}

            -- 2. per grain, the run of periods whose measurement day
            --    least(period end, as_of) a span contains: [p1, p2]
            create temp table measured as
            with g as ({periods})
            select s.store_id, s.customer_id, s.is_first, g.period_grain, g.months,
                   {_period("s.active_from", 1)} // g.months as p1,
                   case when s.active_until >= a.as_of then {_period("a.as_of", 1)} // g.months
                        else {_period("s.active_until + 1", 1)} // g.months - 1 end as p2
            from spans as s, g, as_of as a;

            -- 3. +1/-1 events, running sums over the period index give the counts
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

            -- 4. purchasing / returning customers: one per customer x period with a
            --    purchase (months first, then quarters and years from the months)
            create temp table purchase_periods as
            {_purchase_periods(periods, monotone)}

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
                       coalesce(pp.purchasing, 0) as purchasing,
                       coalesce(pp.returners, 0) as returners,
                       sum(coalesce(ev.e, 0)) over w as e,
                       sum(coalesce(ev.r, 0)) over w as r
                from spine
                left join events as ev using (store_id, period_grain, p)
                left join purchase_periods as pp using (store_id, period_grain, p)
                window w as (partition by spine.store_id, spine.period_grain order by spine.p)
            ),
            shifted as (
                select *, coalesce(lag(e) over (partition by store_id, period_grain order by p), 0)
                       as s,
                       make_date(cast(p * months // 12 as integer),
                                 cast(p * months % 12 + 1 as integer), 1) as period_start
                from counted
            ),
            dated as (
                select *, cast(period_start + to_months(months) - interval 1 day as date)
                       as period_end
                from shifted
            )
            select store_id, industry_segment, period_grain, period_start, period_end,
                   least(period_end, {as_of}) as measured_on,
                   period_end <= {as_of} as is_complete,
                   cast({window} as integer) as active_window_days,
                   cast(s as bigint) as customers_start, cast(e as bigint) as customers_end,
                   cast(n as bigint) as new_customers, cast(r as bigint) as retained_customers,
                   cast(s - r as bigint) as churned_customers,
                   cast(e - r - n as bigint) as reactivated_customers,
                   cast(acquired as bigint) as acquired_customers,
                   cast(acquired - n as bigint) as new_customers_lapsed,
                   case when s > 0 then (e - n) / s end as crr,
                   case when s > 0 then (s - r) / s end as churn_rate,
                   cast(purchasing as bigint) as purchasing_customers,
                   cast(returners as bigint) as returning_customers,
                   case when purchasing > 0 then returners / purchasing end
                       as returning_customer_rate
            from dated;
            """,
        ),
        (
            "fct_cohort_retention",
            f"""
            create table fct_cohort_retention as
            with purchases as (
                select * from fct_orders where customer_order_number is not null
            ),
            cohorts as (
                select store_id, cohort_month, min(industry_segment) as industry_segment,
                       count(*) as cohort_size
                from purchases where customer_order_number = 1 group by all
            ),
            first_repeats as (
                select store_id, cohort_month, months_since_first_order,
                       count(*) as first_repeats
                from purchases where customer_order_number = 2 group by all
            ),
            activity as (
                select store_id, cohort_month, months_since_first_order,
                       {active_customers} as active_customers,
                       sum(net_revenue) as net_revenue
                from purchases group by all
            ),
            triangle as (
                select c.*, unnest(generate_series(0, date_diff('month', c.cohort_month,
                       date_trunc('month', {as_of})))) as months_since_first_order
                from cohorts as c
            ),
            filled as (
                select t.*, coalesce(a.active_customers, 0) as active_customers,
                       coalesce(a.net_revenue, 0) as net_revenue,
                       sum(coalesce(a.net_revenue, 0)) over w as cumulative_net_revenue,
                       sum(coalesce(f.first_repeats, 0)) over w as repeat_customers,
                       first_value(coalesce(a.net_revenue, 0)) over w as acquisition_net_revenue
                from triangle as t
                left join activity as a using (store_id, cohort_month, months_since_first_order)
                left join first_repeats as f
                  using (store_id, cohort_month, months_since_first_order)
                window w as (partition by t.store_id, t.cohort_month
                             order by t.months_since_first_order
                             rows between unbounded preceding and current row)
            )
            select store_id, industry_segment, cast(cohort_month as date) as cohort_month,
                   cast(months_since_first_order as integer) as months_since_first_order,
                   cast(cohort_month + to_months(cast(months_since_first_order as integer))
                        as date) as activity_month,
                   cast(cohort_size as bigint) as cohort_size,
                   cast(active_customers as bigint) as active_customers,
                   active_customers / cohort_size as retention_rate,
                   cast(net_revenue as decimal(18, 2)) as net_revenue,
                   cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
                   cumulative_net_revenue / cohort_size as cumulative_net_revenue_per_customer,
                   cast(repeat_customers as bigint) as repeat_customers,
                   repeat_customers / cohort_size as repeat_purchase_rate,
                   case when acquisition_net_revenue > 0
                        then net_revenue / acquisition_net_revenue end as net_revenue_retention
            from filled;
            """,
        ),
    ]


def _source_types(con: duckdb.DuckDBPyConnection, raw: Path) -> dict[str, dict[str, str]]:
    """Column -> type of each raw Parquet file ({} for an absent optional file)."""
    if (raw / "fx_rates.parquet").exists() or (raw / "fx_rates.csv").exists():
        raise SystemExit(
            f"{raw} has a raw fx_rates file: baseline A reads the seed rates only "
            "(the warehouse would override them), so its results would differ"
        )
    types: dict[str, dict[str, str]] = {}
    for table in ("stores", "orders", "refunds", "customers", "carts"):
        file = raw / f"{table}.parquet"
        if not file.exists() and not (raw / table).is_dir():
            if table != "carts":
                raise SystemExit(f"{file} is missing")
            types[table] = {}
            continue
        rows = con.execute(
            f"describe select * exclude (file_row_number) from {raw_parquet(raw, table)}"
        ).fetchall()
        types[table] = {row[0]: str(row[1]) for row in rows}
    return types


#: a purchase whose local date is before its predecessor's in sequence order
MONOTONE_CHECK = "select count(*) > 0 from fct_orders where days_since_previous_order < 0"


def run(
    raw: Path,
    out: Path,
    window: int = ACTIVE_WINDOW_DAYS,
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
    reporting = reporting.upper()
    raw = raw.resolve()
    out.unlink(missing_ok=True)
    Path(str(out) + ".wal").unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    with duckdb.connect(str(out)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set preserve_insertion_order = false")
        # strings written as the warehouse's build writes them (profiles.yml,
        # the same default): 6 % faster here too, so the ratio stays fair
        methods = os.environ.get("DUCKDB_DISABLED_COMPRESSION", "fsst,dict_fsst,zstd")
        con.execute(f"set disabled_compression_methods = '{methods}'")
        # DuckDB 1.5.6 fails with an internal error ("Failed to cast expression
        # to type") in this optimizer on some `row_number() = 1` filters
        con.execute("set disabled_optimizers = 'top_n_window_elimination'")
        if threads:
            con.execute(f"set threads = {threads}")
        if memory_limit:
            con.execute(f"set memory_limit = '{memory_limit}'")
        types = _source_types(con, raw)
        steps = _steps(raw, types, window, salt, reporting)
        for index, (name, sql) in enumerate(steps):
            start = time.perf_counter()
            if name == "fct_retention_periods" and con.execute(MONOTONE_CHECK).fetchone()[0]:
                # a purchase dated before the previous one (a DST change across
                # midnight): the formulations on distinct purchase days
                sql = _steps(raw, types, window, salt, reporting, monotone=False)[index][1]
            try:
                con.execute(sql)
            except duckdb.Error as error:
                raise RuntimeError(f"baseline A, step {name}: {error}") from error
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
    parser.add_argument("--window", type=int, default=ACTIVE_WINDOW_DAYS)
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
