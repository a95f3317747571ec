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
        count(*) filter (where orders_count >= 2) as repeat_customers,
        count(*) filter (where orders_count >= 2) / count(*) as repeat_purchase_rate,
        sum(net_revenue) filter (where orders_count >= 2) / sum(net_revenue)
            as repeat_customers_share_of_revenue,
        avg(case when orders_count >= 2 then 1.0 else 0.0 end) filter (where is_loyalty_member)
            as repeat_purchase_rate_loyalty_members,
        avg(case when orders_count >= 2 then 1.0 else 0.0 end) filter (where not is_loyalty_member)
            as repeat_purchase_rate_non_members
    from customers
    group by store_id, industry_segment
)

select * from final
order by repeat_purchase_rate desc
