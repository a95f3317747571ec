-- Which acquisition cohorts retain best?
-- Per store and cohort month: cohort size and the share of the cohort that
-- bought again within three months of the first purchase (offsets 1-3).
-- Only cohorts old enough to have three full months after acquisition and
-- with at least 20 customers (smaller cohorts rank by luck).

with orders as (
    select * from {{ ref('fct_orders') }}
),

purchases as (
    select
        store_id,
        customer_id,
        cohort_month,
        months_since_first_order
    from orders
    where customer_order_number is not null
),

cohorts as (
    select
        store_id,
        cohort_month,
        count(distinct customer_id) as cohort_size,
        count(distinct case when months_since_first_order between 1 and 3 then customer_id end)
            as returned_within_3_months
    from purchases
    group by store_id, cohort_month
),

final as (
    select
        store_id,
        cohort_month,
        cohort_size,
        returned_within_3_months,
        {{ repeat_purchase_rate('returned_within_3_months', 'cohort_size') }} as three_month_repeat_rate,
        rank() over (
            partition by store_id
            order by {{ repeat_purchase_rate('returned_within_3_months', 'cohort_size') }} desc
        ) as rank_in_store
    from cohorts
    where
        cohort_month <= {{ dbt.date_trunc('month', as_of_date()) }} - interval 3 month
        and cohort_size >= 20
)

select * from final
order by store_id, rank_in_store
