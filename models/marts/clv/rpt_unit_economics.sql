{#
    One row per store and month (up to the as_of_date month) with new
    customers or marketing spend: customer acquisition cost and what the
    acquired customers are predicted to be worth.
    cac = marketing spend of the month / customers acquired that month;
    clv_to_cac = average predicted CLV of those customers / cac.
    predicted CLV is measured at as_of_date (the customers' expected future
    value from now), not at acquisition.
#}
-- one row per customer with its first purchase day: grouped as it is (a
-- view; a join with the customer table would read the customers twice)
with customers as (
    select * from {{ ref('int_customers_clv_predicted') }}
),

marketing_spend as (
    select * from {{ ref('stg_shop__marketing_spend') }}
    where month <= {{ dbt.date_trunc('month', as_of_date()) }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

acquired as (
    select
        store_id,
        cast({{ dbt.date_trunc('month', 'first_order_date') }} as date) as month,
        count(*) as new_customers,
        avg(predicted_clv) as average_predicted_clv
    from customers
    group by 1, 2
),

spend as (
    select
        store_id,
        cast(month as date) as month,
        sum(spend_reporting) as marketing_spend
    from marketing_spend
    group by 1, 2
),

combined as (
    select
        coalesce(acquired.store_id, spend.store_id) as store_id,
        coalesce(acquired.month, spend.month) as month,
        coalesce(acquired.new_customers, 0) as new_customers,
        coalesce(spend.marketing_spend, 0) as marketing_spend,
        acquired.average_predicted_clv
    from acquired
    full outer join spend
        on
            acquired.store_id = spend.store_id
            and acquired.month = spend.month
),

final as (
    select
        combined.store_id,
        {{ store_segment('stores.industry_segment') }} as industry_segment,
        cast(combined.month as date) as month,
        cast(combined.new_customers as bigint) as new_customers,
        cast(combined.marketing_spend as decimal(18, 2)) as marketing_spend,
        {{ double_to_cents(safe_ratio('combined.marketing_spend', 'combined.new_customers')) }} as cac,
        {{ double_to_cents('combined.average_predicted_clv') }} as average_predicted_clv,
        cast(
            {{ safe_ratio(
                'combined.average_predicted_clv',
                safe_ratio('combined.marketing_spend', 'combined.new_customers')
            ) }} as double
        ) as clv_to_cac
    from combined
    left join stores
        on combined.store_id = stores.store_id
)

select * from final
