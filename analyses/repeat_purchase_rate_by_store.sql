-- How many of our customers come back? Repeat purchase rate per store:
-- customers with two or more purchases / customers, with revenue share of
-- the repeat buyers and the loyalty-programme comparison.

with customers as (
    select * from {{ ref('dim_customers') }}
),

final as (
    select
        store_id,
        industry_segment,
        count(*) as customers,
        count(*) filter (where is_repeat_buyer) as repeat_customers,
        {{ safe_ratio('count(*) filter (where is_repeat_buyer)', 'count(*)') }} as repeat_purchase_rate,
        {{ safe_ratio('sum(net_revenue) filter (where is_repeat_buyer)', 'sum(net_revenue)') }}
            as repeat_customers_share_of_revenue,
        {{ safe_ratio(
            'count(*) filter (where is_repeat_buyer and is_loyalty_member)',
            'count(*) filter (where is_loyalty_member)'
        ) }} as repeat_purchase_rate_loyalty_members,
        {{ safe_ratio(
            'count(*) filter (where is_repeat_buyer and not is_loyalty_member)',
            'count(*) filter (where not is_loyalty_member)'
        ) }} as repeat_purchase_rate_non_members
    from customers
    group by store_id, industry_segment
)

select * from final
order by repeat_purchase_rate desc
