{#
    One row per industry segment, only when the raw data has purchases
    after as_of_date: the holdout check of the BG/NBD model. For every
    customer known at as_of_date (with converged parameters), actual repeat
    purchases in (as_of_date, holdout_end_date] (distinct purchase days)
    against the model's expectation over the same number of days, and
    against a naive baseline: the customer's past rate (frequency /
    tenure_days, 0 when tenure is 0) carried forward.
#}
with customers as (
    select * from {{ ref('int_customers_clv_predicted') }}
    where holdout_predicted_purchases is not null
),

holdout_purchases as (
    select * from {{ ref('int_customers_holdout_purchases') }}
),

holdout_window as (
    select * from {{ ref('int_clv_holdout_window') }}
    where holdout_days > 0
),

per_customer as (
    select
        customers.industry_segment,
        holdout_window.holdout_days,
        coalesce(holdout_purchases.holdout_purchases, 0) as actual_purchases,
        customers.holdout_predicted_purchases as predicted_purchases,
        case
            when customers.tenure_days > 0
                then customers.frequency / customers.tenure_days * holdout_window.holdout_days
            else 0
        end as naive_predicted_purchases
    from customers
    cross join holdout_window
    left join holdout_purchases
        on
            customers.store_id = holdout_purchases.store_id
            and customers.customer_id = holdout_purchases.customer_id
),

final as (
    select
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(max(holdout_days) as integer) as holdout_days,
        cast(count(*) as bigint) as customers,
        cast(sum(actual_purchases) as bigint) as actual_repeat_purchases,
        cast(sum(predicted_purchases) as double) as predicted_repeat_purchases,
        cast(sum(naive_predicted_purchases) as double) as naive_predicted_repeat_purchases,
        cast(avg(abs(actual_purchases - predicted_purchases)) as double) as mean_absolute_error,
        cast(avg(abs(actual_purchases - naive_predicted_purchases)) as double) as naive_mean_absolute_error
    from per_customer
    group by industry_segment
)

select * from final
