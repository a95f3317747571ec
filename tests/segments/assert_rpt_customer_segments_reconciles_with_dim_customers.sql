{#
    Per store, rpt_customer_segments must add up: shares of customers sum to
    1, shares of revenue sum to 1 (when the store has revenue), customers
    and net revenue equal the store's totals in dim_customers. Returns the
    stores that do not reconcile.
#}
with report as (
    select * from {{ ref('rpt_customer_segments') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

report_totals as (
    select
        store_id,
        sum(customers) as customers,
        sum(net_revenue) as net_revenue,
        sum(share_of_customers) as share_of_customers,
        sum(share_of_revenue) as share_of_revenue
    from report
    group by store_id
),

dim_totals as (
    select
        store_id,
        count(*) as customers,
        sum(net_revenue) as net_revenue
    from customers
    group by store_id
)

select
    dim_totals.store_id,
    dim_totals.customers,
    report_totals.customers as report_customers,
    dim_totals.net_revenue,
    report_totals.net_revenue as report_net_revenue,
    report_totals.share_of_customers,
    report_totals.share_of_revenue
from dim_totals
full outer join report_totals
    on dim_totals.store_id = report_totals.store_id
where
    dim_totals.store_id is null
    or report_totals.store_id is null
    or dim_totals.customers != report_totals.customers
    or dim_totals.net_revenue != report_totals.net_revenue
    or abs(report_totals.share_of_customers - 1) > 1e-9
    or (dim_totals.net_revenue != 0 and abs(report_totals.share_of_revenue - 1) > 1e-9)
