{#
    One row per store: the ingredients of the simple CLV formula, measured
    over two windows of W = var simple_clv_window_days (default 365) days
    before as_of_date: the last window (days 1..W, ending on as_of_date)
    and the previous one (days W+1..2W).
    - yearly_purchase_frequency: purchases in the last window / customers
      with a purchase in it, scaled to a year (x 365 / W);
    - annual_churn_rate: churn rate (macros/metrics/retention_rates.sql)
      of the last window: share of the previous window's customers who did
      not buy in the last window; per window of W days (a year at the
      default);
    - expected_lifespan_years: 1 / that churn rate, in windows, scaled to
      years (x W / 365) and capped at the var simple_clv_max_lifespan_years
      (also when nobody churned); null when the store had no customer in
      the previous window.
#}
{%- set window_days = var('simple_clv_window_days') | int %}
{%- set max_lifespan_years = var('simple_clv_max_lifespan_years') %}

-- purchases in the two windows only: a customer without one counts in
-- neither window
with purchases as (
    select * from {{ ref('fct_orders') }}
    where
        customer_order_number is not null
        and order_date > {{ as_of_date() }} - interval {{ 2 * window_days }} day
),

windows as (
    select
        store_id,
        customer_id,
        count(case when order_date > {{ as_of_date() }} - interval {{ window_days }} day then 1 end)
            as last_year_purchases,
        count(
            case
                when
                    order_date > {{ as_of_date() }} - interval {{ 2 * window_days }} day
                    and order_date <= {{ as_of_date() }} - interval {{ window_days }} day
                    then 1
            end
        ) as previous_year_purchases
    from purchases
    group by store_id, customer_id
),

per_store as (
    select
        store_id,
        sum(last_year_purchases) as last_year_purchases,
        count(case when last_year_purchases > 0 then 1 end) as last_year_customers,
        count(case when previous_year_purchases > 0 then 1 end) as previous_year_customers,
        count(case when previous_year_purchases > 0 and last_year_purchases = 0 then 1 end)
            as churned_customers
    from windows
    group by store_id
),

final as (
    select
        store_id,
        cast(last_year_customers as bigint) as last_year_customers,
        cast(previous_year_customers as bigint) as previous_year_customers,
        -- x 365 / W, exactly 1.0 at the default window
        cast(
            {{ safe_ratio('last_year_purchases', 'last_year_customers') }} * (365.0 / {{ window_days }})
            as double
        ) as yearly_purchase_frequency,
        cast({{ churn_rate('churned_customers', 'previous_year_customers') }} as double) as annual_churn_rate,
        cast(
            case
                when churned_customers > 0
                    then
                        least(
                            previous_year_customers / churned_customers * ({{ window_days }} / 365.0),
                            {{ max_lifespan_years }}
                        )
                when previous_year_customers > 0 then {{ max_lifespan_years }}
            end as double
        ) as expected_lifespan_years
    from per_store
)

select * from final
