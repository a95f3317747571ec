-- Is each store paying too much to win customers? CLV : CAC per store over
-- the last twelve months of marketing spend (3 : 1 is the usual rule of thumb).

with unit_economics as (
    select * from {{ ref('rpt_unit_economics') }}
),

last_twelve_months as (
    select *
    from unit_economics
    where month > {{ dbt.date_trunc('month', as_of_date()) }} - interval 12 month
),

final as (
    select
        store_id,
        industry_segment,
        sum(new_customers) as new_customers,
        sum(marketing_spend) as marketing_spend,
        {{ safe_ratio('sum(marketing_spend)', 'sum(new_customers)') }} as cac,
        {{ safe_ratio('sum(average_predicted_clv * new_customers)', 'sum(new_customers)') }}
            as average_predicted_clv,
        {{ safe_ratio('sum(average_predicted_clv * new_customers)', 'sum(marketing_spend)') }}
            as clv_to_cac
    from last_twelve_months
    group by store_id, industry_segment
)

select * from final
order by clv_to_cac
