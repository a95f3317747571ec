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
        {{ dbt.datediff(
            'lag(purchase_date) over (partition by store_id, customer_id order by purchase_date)',
            'purchase_date',
            'day'
        ) }} as days_since_previous_purchase
    from purchase_days
),

numbered_spans as (
    select
        *,
        sum(
            case
                when
                    days_since_previous_purchase is null
                    or days_since_previous_purchase > {{ var('active_window_days') }}
                    then 1
                else 0
            end
        ) over (
            partition by store_id, customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as span_number
    from purchase_days_with_gaps
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        cast(span_number as integer) as span_number,
        min(min(purchase_date)) over (partition by store_id, customer_id) as first_purchase_date,
        min(purchase_date) as active_from,
        max(purchase_date) as last_purchase_date,
        cast(max(purchase_date) + {{ var('active_window_days') }} - 1 as date) as active_until,
        count(*) as purchase_days
    from numbered_spans
    group by store_id, customer_id, industry_segment, span_number
)

select * from final
