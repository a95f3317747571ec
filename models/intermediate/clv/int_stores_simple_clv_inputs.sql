{#
    One row per store: the ingredients of the simple CLV formula, measured
    over the last two years before as_of_date.
    - yearly_purchase_frequency: purchases in the 365 days ending on
      as_of_date / customers with a purchase in those days;
    - annual_churn_rate: share of the customers who bought in the previous
      365 days (days 366-730 before as_of_date) and did not buy in the last
      365 days;
    - expected_lifespan_years: 1 / annual_churn_rate, capped at the var
      simple_clv_max_lifespan_years (also when nobody churned); null when
      the store had no customer in the previous year.
#}
with purchases as (
    select * from {{ ref('fct_orders') }}
    where customer_order_number is not null
),

windows as (
    select
        store_id,
        customer_id,
        count(case when order_date > {{ as_of_date() }} - interval 365 day then 1 end) as last_year_purchases,
        count(
            case
                when
                    order_date > {{ as_of_date() }} - interval 730 day
                    and order_date <= {{ as_of_date() }} - interval 365 day
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
        cast(last_year_purchases / nullif(last_year_customers, 0) as double) as yearly_purchase_frequency,
        cast(churned_customers / nullif(previous_year_customers, 0) as double) as annual_churn_rate,
        cast(
            case
                when churned_customers > 0
                    then least(previous_year_customers / churned_customers, {{ var('simple_clv_max_lifespan_years') }})
                when previous_year_customers > 0 then {{ var('simple_clv_max_lifespan_years') }}
            end as double
        ) as expected_lifespan_years
    from per_store
)

select * from final
