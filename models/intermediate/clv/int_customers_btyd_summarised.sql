{#
    The "buy till you die" summary, one row per customer, measured in days
    at the end of as_of_date (the convention of
    lifetimes.utils.summary_data_from_transaction_data(freq="D")): purchases
    on the same day collapse into one purchase day with their net revenue
    summed; frequency = purchase days - 1; recency_days = first to last
    purchase day; tenure_days = first purchase day to as_of_date;
    monetary_value = mean net revenue of the repeat purchase days (0 for
    one-time buyers).

    The purchase days are counted once, in int_customers_aggregated
    (incremental); only tenure_days depends on as_of_date, so this model is
    a projection of one row per customer: a view (DECISIONLOG.md "The
    as_of_date layer: a projection is a view"). Writing its 2.4M rows at
    10M orders cost 2.3 s a day; its readers compute the few expressions.
#}
{{ config(materialized='view') }}

with customers as (
    select * from {{ ref('int_customers_aggregated') }}
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        cast(purchase_days - 1 as integer) as frequency,
        cast(
            {{ dbt.datediff('first_order_date', 'last_order_date', 'day') }}
            as integer
        ) as recency_days,
        cast(
            {{ dbt.datediff('first_order_date', as_of_date(), 'day') }}
            as integer
        ) as tenure_days,
        cast(
            case
                when purchase_days > 1
                    then {{ mean_as_double('repeat_days_net_revenue', 'purchase_days - 1') }}
                else 0
            end
            as double
        ) as monetary_value,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        -- orders to date (several on one purchase day count apart): the
        -- simple CLV's average order value
        orders_count,
        -- the acquisition month of rpt_unit_economics
        first_order_date
    from customers
)

select * from final
