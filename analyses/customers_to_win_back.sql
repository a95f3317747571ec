-- Which customers should we win back first?
-- Repeat buyers who spent the most and are flagged churn risk (no purchase
-- in `churn_risk_days`, default 180; the flag is_churn_risk of dim_customers
-- is the one home of that rule): the classic early-warning sign. Top 20
-- per store by net revenue, with their e-mail hash for the CRM export.

with customers as (
    select * from {{ ref('dim_customers') }}
),

silent as (
    select
        store_id,
        customer_id,
        industry_segment,
        orders_count,
        net_revenue,
        average_order_value,
        last_order_date,
        email_hash,
        days_since_last_order as days_silent
    from customers
    where
        orders_count >= 2
        and is_churn_risk
),

final as (
    select
        *,
        row_number() over (partition by store_id order by net_revenue desc) as priority
    from silent
)

select * from final
where priority <= 20
order by store_id, priority
