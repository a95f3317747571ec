{#
    The "buy till you die" customer summary, one row per customer, measured
    in days at the end of as_of_date (the convention of
    lifetimes.utils.summary_data_from_transaction_data(freq="D")): purchases
    on the same day collapse into one purchase day with their net revenue
    summed; frequency = purchase days - 1; recency_days = first to last
    purchase day; tenure_days = first purchase day to as_of_date;
    monetary_value = mean net revenue of the repeat purchase days (0 for
    one-time buyers).
#}
with purchases as (
    select * from {{ ref('fct_orders') }}
    where customer_order_number is not null
),

purchase_days as (
    select
        store_id,
        customer_id,
        industry_segment,
        order_date,
        sum(net_revenue) as day_net_revenue
    from purchases
    group by store_id, customer_id, industry_segment, order_date
),

numbered as (
    select
        *,
        row_number() over (partition by store_id, customer_id order by order_date) as purchase_day_number
    from purchase_days
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        cast(count(*) - 1 as integer) as frequency,
        cast(
            {{ dbt.datediff('min(order_date)', 'max(order_date)', 'day') }}
            as integer
        ) as recency_days,
        cast(
            {{ dbt.datediff('min(order_date)', as_of_date(), 'day') }}
            as integer
        ) as tenure_days,
        cast(
            coalesce({{ avg_as_double('case when purchase_day_number > 1 then day_net_revenue end') }}, 0) as double
        ) as monetary_value,
        cast(sum(day_net_revenue) as decimal(18, 2)) as net_revenue
    from numbered
    group by store_id, customer_id, industry_segment
)

select * from final
