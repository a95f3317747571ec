{#
    Calibration of the next-purchase outlook (dim_customers
    probability_purchase_30d / _90d) on the holdout period: one row per
    industry_segment x horizon_days x prediction_decile, only for horizons
    the holdout covers (orders after as_of_date exist up to
    holdout_end_date >= as_of_date + horizon_days). Build with an earlier
    as_of_date to fill it. Customers are ranked by their predicted
    probability within their segment (decile 10 = most likely to buy);
    per decile the mean predicted probability is compared with the share of
    customers that actually bought in (as_of_date, as_of_date + horizon].
#}

with customers as (
    select * from {{ ref('int_customers_clv_predicted') }}
    where probability_purchase_30d is not null
),

holdout_purchases as (
    select * from {{ ref('int_customers_holdout_purchases') }}
),

holdout_window as (
    select * from {{ ref('int_clv_holdout_window') }}
),

horizons as (
    select 30 as horizon_days
    union all
    select 90 as horizon_days
),

per_customer as (
    select
        customers.industry_segment,
        horizons.horizon_days,
        holdout_window.holdout_days,
        case
            when horizons.horizon_days = 30 then customers.probability_purchase_30d
            else customers.probability_purchase_90d
        end as predicted_probability,
        case
            when
                holdout_purchases.first_holdout_purchase_date
                <= holdout_window.as_of_date + horizons.horizon_days
                then 1
            else 0
        end as bought
    from customers
    cross join horizons
    inner join holdout_window
        on horizons.horizon_days <= holdout_window.holdout_days
    left join holdout_purchases
        on
            customers.store_id = holdout_purchases.store_id
            and customers.customer_id = holdout_purchases.customer_id
),

ranked as (
    select
        *,
        ntile(10) over (
            partition by industry_segment, horizon_days
            order by predicted_probability
        ) as prediction_decile
    from per_customer
),

final as (
    select
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(horizon_days as integer) as horizon_days,
        cast(prediction_decile as integer) as prediction_decile,
        cast(max(holdout_days) as integer) as holdout_days,
        cast(count(*) as bigint) as customers,
        cast(avg(predicted_probability) as double) as mean_predicted_probability,
        cast(avg(bought) as double) as actual_purchase_share,
        cast(avg(bought) - avg(predicted_probability) as double) as calibration_error
    from ranked
    group by industry_segment, horizon_days, prediction_decile
)

select * from final
