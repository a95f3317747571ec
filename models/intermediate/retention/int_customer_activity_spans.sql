{#
    Activity spans ("islands"): one row per store x customer x span.
    A purchase day p makes its customer active on [p, p + W - 1]
    (W = var active_window_days); purchases whose windows overlap or touch
    merge into one span. A new span starts when the gap since the previous
    purchase day is longer than W days (a gap of exactly W is adjacent).
    Only purchases on or before as_of_date count. Cost grows with
    purchases, not with customers x days.

    Customer-level state: it does not depend on as_of_date. Incremental
    (DuckDB): a build recomputes the spans of the customers in fct_orders'
    changelog since its last build only, and deletes those of customers
    left without a purchase (macros/build_log/changelog.sql).
    stg_shop__orders is a parent through as_of_date() only: its changes,
    like fct_orders', come through that changelog.
#}
{{ config(**customer_state_config(incremental_inputs=['fct_orders', 'stg_shop__orders'])) }}

with orders as (
    select * from {{ ref('fct_orders') }}
),

{{ customer_state_purchases('orders', up_to_as_of_date=true) }},

-- one window over the purchases, in purchase order: the neighbouring
-- purchase dates mark the edges of the spans, and the purchase day number
-- (a dense rank: orders on the same day share one) counts the days in a
-- span without a distinct over every purchase
purchases_with_neighbours as (
    select
        store_id,
        customer_id,
        industry_segment,
        order_date as purchase_date,
        lag(order_date) over customer_purchases as previous_purchase_date,
        lead(order_date) over customer_purchases as next_purchase_date,
        first_value(order_date) over customer_purchases as first_purchase_date,
        dense_rank() over customer_purchases as purchase_day_number
    from purchases
    window customer_purchases as (partition by store_id, customer_id order by order_date)
),

-- a span starts at a purchase with no purchase in the W days before it and
-- ends at one with none in the W days after it; of several orders on an
-- edge day only the first (start) or last (end) has the other day as its
-- neighbour, so each edge is one row
span_edges as (
    select
        *,
        previous_purchase_date is null
        or {{ dbt.datediff('previous_purchase_date', 'purchase_date', 'day') }}
        > {{ var('active_window_days') }} as starts_span,
        next_purchase_date is null
        or {{ dbt.datediff('purchase_date', 'next_purchase_date', 'day') }}
        > {{ var('active_window_days') }} as ends_span
    from purchases_with_neighbours
),

-- the edge after a span's start edge is its end edge, unless the start
-- edge is the end as well (a span of one purchase day); a start and an end
-- edge on the same day (orders on a span's only day) sort start first
paired_edges as (
    select
        *,
        lead(purchase_date) over customer_edges as next_edge_date,
        lead(purchase_date, 2) over customer_edges as edge_after_next_date,
        lead(purchase_day_number) over customer_edges as next_edge_day_number,
        sum(case when starts_span then 1 else 0 end) over (
            partition by store_id, customer_id
            order by purchase_date asc, starts_span desc
            rows between unbounded preceding and current row
        ) as span_number
    from span_edges
    where starts_span or ends_span
    window customer_edges as (
        partition by store_id, customer_id order by purchase_date asc, starts_span desc
    )
),

spans as (
    select
        store_id,
        customer_id,
        industry_segment,
        span_number,
        first_purchase_date,
        purchase_date as active_from,
        case when ends_span then purchase_date else next_edge_date end as last_purchase_date,
        case
            when ends_span then 1
            else next_edge_day_number - purchase_day_number + 1
        end as purchase_days,
        -- the next span starts at the next edge, or at the one after the
        -- span's own end edge
        case
            when ends_span then next_edge_date is not null
            else edge_after_next_date is not null
        end as has_later_span
    from paired_edges
    where starts_span
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        cast(span_number as integer) as span_number,
        first_purchase_date,
        active_from,
        last_purchase_date,
        cast(last_purchase_date + {{ var('active_window_days') }} - 1 as date) as active_until,
        cast(purchase_days as bigint) as purchase_days,
        has_later_span
    from spans
)

select * from final
