{#
    One row per customer: its first activity span (purchases up to the first
    gap longer than W = active_window_days days; active from the first
    purchase to W - 1 days after the span's last purchase).

    Built from purchase days of fct_orders with the islands rule of
    fct_retention_periods (a gap of exactly W days is adjacent, a longer one
    starts a new span). When int_customer_activity_spans (all spans, lead's
    reorg) is on main, this model becomes its span_number = 1 rows.
#}

with purchases as (
    select * from {{ ref('fct_orders') }}
    where
        customer_order_number is not null
        and order_date <= {{ as_of_date() }}
),

purchase_days as (
    select distinct
        store_id,
        customer_id,
        industry_segment,
        order_date as purchase_date
    from purchases
),

purchase_days_with_gaps as (
    select
        *,
        {{ days_between(
            'lag(purchase_date) over (partition by store_id, customer_id order by purchase_date)',
            'purchase_date'
        ) }} as days_since_previous_purchase
    from purchase_days
),

-- the first gap longer than W days closes the first span
first_gaps as (
    select
        store_id,
        customer_id,
        min(case when days_since_previous_purchase > {{ var('active_window_days') }} then purchase_date end)
            as first_purchase_after_gap
    from purchase_days_with_gaps
    group by store_id, customer_id
),

final as (
    select
        purchase_days.store_id,
        purchase_days.customer_id,
        min(purchase_days.industry_segment) as industry_segment,
        min(purchase_days.purchase_date) as first_purchase_date,
        cast(max(purchase_days.purchase_date) + {{ var('active_window_days') }} - 1 as date) as active_until
    from purchase_days
    inner join first_gaps
        on
            purchase_days.store_id = first_gaps.store_id
            and purchase_days.customer_id = first_gaps.customer_id
    where
        first_gaps.first_purchase_after_gap is null
        or purchase_days.purchase_date < first_gaps.first_purchase_after_gap
    group by purchase_days.store_id, purchase_days.customer_id
)

select * from final
