{#
    Retention-uplift scenarios per store x crr_uplift_points x horizon_months
    (docs/metrics.md, forward-looking metrics; DECISIONLOG "Retention-uplift
    scenarios"). The store's current state over the trailing twelve months
    P = (as_of_date - 12 months, as_of_date]:
      current_crr = (E - N) / S of P (macro customer_retention_rate), with
        S = customers active on as_of_date - 12 months, E = active on
        as_of_date, N = first purchase in P and active on as_of_date;
      starting_active_customers = E;
      new_customers_per_month = first purchases in P / 12;
      net_revenue_per_active_customer_month = net revenue of P / the sum of
        active customers on the 12 month-ends as_of_date, as_of_date - 1
        month, ..., as_of_date - 11 months.
    Projection, month m = 1..H, yearly retention c = current_crr + u / 100,
    monthly q = c^(1/12):
      active(m) = active(m - 1) q + n = active(0) q^m + n (1 - q^m) / (1 - q)
      (active(0) + n m when q = 1);
      projected_net_revenue = sum over m of active(m) x revenue per active
        customer-month; projected_gross_margin = that x gross margin (seed,
        else var default_gross_margin, as predicted CLV).
    retention.scenarios.projection is the month-by-month reference.
#}

{%- set uplifts = var('retention_uplift_points') | list -%}
{%- if 0 not in uplifts -%}{%- set uplifts = [0] + uplifts -%}{%- endif -%}

with spans as (
    select * from {{ ref('int_customer_activity_spans') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where
        customer_order_number is not null
        and order_date <= {{ as_of_date() }}
),

segments as (
    select * from {{ ref('industry_segments') }}
),

trailing_window as (
    select
        {{ as_of_date() }} as window_end,
        cast({{ dbt.dateadd('month', '-12', as_of_date()) }} as date) as day_before_window
),

month_offsets as (
    select {{ unnest_series('0', '11') }} as months_back
),

-- the twelve month-ends as_of_date, as_of_date - 1 month, ..., - 11 months
month_ends as (
    select
        cast({{ dbt.dateadd('month', '-month_offsets.months_back', 'trailing_window.window_end') }} as date)
            as measured_on
    from trailing_window
    cross join month_offsets
),

-- a customer has at most one span covering a given day
store_counts as (
    select
        spans.store_id,
        min(spans.industry_segment) as industry_segment,
        sum(
            case
                when spans.active_from <= trailing_window.day_before_window
                    and spans.active_until >= trailing_window.day_before_window
                    then 1
                else 0
            end
        ) as customers_start,
        sum(
            case
                when spans.active_from <= trailing_window.window_end
                    and spans.active_until >= trailing_window.window_end
                    then 1
                else 0
            end
        ) as customers_end,
        sum(
            case
                when spans.active_from <= trailing_window.window_end
                    and spans.active_until >= trailing_window.window_end
                    and spans.first_purchase_date > trailing_window.day_before_window
                    then 1
                else 0
            end
        ) as new_customers,
        sum(
            case
                when spans.span_number = 1
                    and spans.first_purchase_date > trailing_window.day_before_window
                    then 1
                else 0
            end
        ) as acquired_customers
    from spans
    cross join trailing_window
    group by spans.store_id
),

active_month_ends as (
    select
        spans.store_id,
        count(*) as active_customer_months
    from spans
    inner join month_ends
        on
            spans.active_from <= month_ends.measured_on
            and spans.active_until >= month_ends.measured_on
    group by spans.store_id
),

store_revenue as (
    select
        orders.store_id,
        sum(orders.net_revenue) as net_revenue
    from orders
    cross join trailing_window
    where orders.order_date > trailing_window.day_before_window
    group by orders.store_id
),

store_state as (
    select
        store_counts.store_id,
        store_counts.industry_segment,
        cast(
            {{ customer_retention_rate(
                'store_counts.customers_start',
                'store_counts.customers_end',
                'store_counts.new_customers'
            ) }}
            as double
        ) as current_crr,
        store_counts.customers_end as starting_active_customers,
        {{ divide('store_counts.acquired_customers', '12') }} as new_customers_per_month,
        cast(
            {{ divide(
                'coalesce(store_revenue.net_revenue, 0)',
                'nullif(active_month_ends.active_customer_months, 0)'
            ) }}
            as double
        ) as net_revenue_per_active_customer_month,
        coalesce(segments.gross_margin, {{ var('default_gross_margin') }}) as gross_margin
    from store_counts
    left join active_month_ends
        on store_counts.store_id = active_month_ends.store_id
    left join store_revenue
        on store_counts.store_id = store_revenue.store_id
    left join segments
        on store_counts.industry_segment = segments.industry_segment
),

-- one row per element of the var lists (a loop: sqlfluff cannot lay it out)
-- noqa: disable=LT02
scenarios as (
{%- for uplift in uplifts %}
    select cast({{ uplift }} as double) as crr_uplift_points
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),

horizons as (
{%- for horizon in var('retention_scenario_horizons') %}
    select cast({{ horizon }} as integer) as horizon_months
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}
),
-- noqa: enable=LT02

store_scenarios as (
    select
        store_state.*,
        scenarios.crr_uplift_points,
        horizons.horizon_months,
        store_state.current_crr + scenarios.crr_uplift_points / 100.0 as scenario_crr,
        case
            when store_state.current_crr + scenarios.crr_uplift_points / 100.0 >= 0
                then power(store_state.current_crr + scenarios.crr_uplift_points / 100.0, {{ divide('1', '12') }})
        end as monthly_retention
    from store_state
    cross join scenarios
    cross join horizons
),

-- active(m) in closed form for every month of the horizon
projected_months as (
    select
        store_scenarios.*,
        {{ unnest_series('1', 'store_scenarios.horizon_months') }} as projection_month
    from store_scenarios
),

projected_active as (
    select
        *,
        case
            when abs(monthly_retention - 1) < 1e-12
                then starting_active_customers + new_customers_per_month * projection_month
            else
                starting_active_customers * power(monthly_retention, projection_month)
                + new_customers_per_month * (1 - power(monthly_retention, projection_month))
                / (1 - monthly_retention)
        end as active_customers
    from projected_months
),

projections as (
    select
        store_id,
        industry_segment,
        crr_uplift_points,
        horizon_months,
        min(current_crr) as current_crr,
        min(scenario_crr) as scenario_crr,
        min(monthly_retention) as monthly_retention,
        min(starting_active_customers) as starting_active_customers,
        min(new_customers_per_month) as new_customers_per_month,
        min(net_revenue_per_active_customer_month) as net_revenue_per_active_customer_month,
        min(gross_margin) as gross_margin,
        max(case when projection_month = horizon_months then active_customers end)
            as projected_active_customers,
        sum(active_customers * net_revenue_per_active_customer_month) as projected_net_revenue
    from projected_active
    group by store_id, industry_segment, crr_uplift_points, horizon_months
),

final as (
    select
        cast(projections.store_id as {{ dbt.type_string() }}) as store_id,
        cast(projections.industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(projections.crr_uplift_points as double) as crr_uplift_points,
        cast(projections.horizon_months as integer) as horizon_months,
        cast(projections.current_crr as double) as current_crr,
        cast(projections.scenario_crr as double) as scenario_crr,
        cast(projections.monthly_retention as double) as monthly_retention,
        cast(projections.starting_active_customers as bigint) as starting_active_customers,
        cast(projections.new_customers_per_month as double) as new_customers_per_month,
        cast(projections.net_revenue_per_active_customer_month as double)
            as net_revenue_per_active_customer_month,
        cast(projections.gross_margin as double) as gross_margin,
        cast(projections.projected_active_customers as double) as projected_active_customers,
        cast(projections.projected_net_revenue as double) as projected_net_revenue,
        cast(projections.projected_net_revenue * projections.gross_margin as double) as projected_gross_margin,
        cast(projections.projected_net_revenue - unchanged.projected_net_revenue as double)
            as net_revenue_gain_vs_unchanged
    from projections
    inner join projections as unchanged
        on
            projections.store_id = unchanged.store_id
            and projections.horizon_months = unchanged.horizon_months
            and unchanged.crr_uplift_points = 0
)

select * from final
