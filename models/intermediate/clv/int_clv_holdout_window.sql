{#
    One row: the holdout period available for evaluating the CLV model,
    i.e. the days of accepted purchases after as_of_date in staging
    (fct_orders stops at as_of_date). holdout_days = 0 when the raw data
    ends at as_of_date.
#}
with orders as (
    select * from {{ ref('stg_shop__orders') }}
    where is_purchase and order_date > {{ as_of_date() }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        max(order_date) as holdout_end_date,
        cast(coalesce({{ dbt.datediff(as_of_date(), 'max(order_date)', 'day') }}, 0) as integer) as holdout_days
    from orders
)

select * from final
