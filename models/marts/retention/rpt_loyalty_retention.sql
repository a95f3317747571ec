{#
    Period retention of loyalty-programme members versus the other
    customers, per store x is_loyalty_member x period_grain x period_start.

    Membership is the status at the period's measurement day
    measured_on = least(period_end, as_of_date): a customer is a member in
    period P when loyalty_member_since (customers file, store-local date
    cast as in dim_customers) <= measured_on, so every count of P (S, E, N,
    retained) splits the period's customers by one status and members +
    others = fct_retention_periods. Customers without a customers-file row
    or without a membership date are "others".

    Same event technique as fct_retention_periods (same span -> period
    runs, macro measured_period_runs): each run of periods a span covers is
    cut at the customer's first member period into an "other" part and a
    "member" part, and each non-empty part emits its +1 / -1 events.
#}

-- read twice (through spans_with_membership): scanned by each, not copied
-- (DuckDB would materialise a CTE read more than once)
with activity_spans as {{ not_materialized() }} (
    select * from {{ ref('int_customer_activity_spans') }}
),

profiles as (
    select * from {{ ref('stg_shop__customers') }}
),

-- the predicted CLV of dim_customers: read from it, so this mart runs after it
-- (beside it the two run slower than one after the other: DECISIONLOG.md
-- "Loyalty retention runs after dim_customers")
customers as (
    select * from {{ ref('dim_customers') }}
),

periods as (
    select * from {{ ref('fct_retention_periods') }}
),

purchase_months as (
    select * from {{ ref('int_customer_purchase_months') }}
),

grains as (
    {{ period_grains() }}
),

-- membership date (ignored when after as_of_date) and the current predicted
-- CLV, joined once: read twice by spans_with_previous_measured, the CTE is
-- materialised by DuckDB (joined once per read, it cost twice the joins)
spans_with_membership as (
    select
        activity_spans.*,
        case
            when cast(profiles.loyalty_member_since as date) <= {{ as_of_date() }}
                then cast(profiles.loyalty_member_since as date)
        end as member_since_date,
        customers.predicted_clv
    from activity_spans
    left join profiles
        on
            activity_spans.store_id = profiles.store_id
            and activity_spans.customer_id = profiles.customer_id
    left join customers
        on
            activity_spans.store_id = customers.store_id
            and activity_spans.customer_id = customers.customer_id
),

-- each span's runs of periods and the customer's previous measured span
-- (macro spans_with_previous_measured, shared with fct_retention_periods)
spans_with_previous as (
    {{ spans_with_previous_measured('spans_with_membership') }}
),

measured_spans as (
    {{ measured_period_runs('spans_with_previous', 'grains') }}
),

-- first period in which the customer is a member (9999999: never)
spans_with_runs as (
    select
        *,
        coalesce(
            {{ month_index('member_since_date') }}
            {{ integer_division_operator() }} months_per_period,
            9999999
        ) as member_period,
        is_measured * coalesce(predicted_clv, 0) as measured_clv,
        case when predicted_clv is not null then is_measured else 0 end as measured_valued
    from measured_spans
),

-- spans that cover the same run of periods with the same membership emit the
-- same events: one row per store x grain x run x member period with the
-- spans it stands for (and their predicted CLV), instead of events per span
span_runs as (
    select
        store_id,
        period_grain,
        first_period,
        last_period,
        retained_from,
        member_period,
        {{ span_run_counts() }},
        sum(measured_clv) as measured_clv,
        sum(measured_valued) as measured_valued
    from spans_with_runs
    group by store_id, period_grain, first_period, last_period, retained_from, member_period
),

-- each run of periods (active at the end, at the start, retained) cut into its
-- "other" part (periods before member_period) and its "member" part
spans_with_member_period as (
    select
        *,
        least(last_period, member_period - 1) as end_other_until,
        greatest(first_period, member_period) as end_member_from,
        least(last_period + 1, member_period - 1) as start_other_until,
        greatest(first_period + 1, member_period) as start_member_from,
        least(last_period, member_period - 1) as retained_other_until,
        greatest(retained_from, member_period) as retained_member_from
    from span_runs
),

-- +1 / -1 events at the ends of each non-empty part; a running sum per group over
-- the period index turns them into counts (as fct_retention_periods)
span_events as (
    -- active at the end of periods first..last, other part: +1 at its first period ...
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        first_period as period_index,
        case when first_period <= end_other_until then measured_spans else 0 end as active_end,
        case when first_period <= end_other_until then measured_clv else 0 end as clv_end,
        case when first_period <= end_other_until then measured_valued else 0 end as valued_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        end_other_until + 1 as period_index,
        case when first_period <= end_other_until then -measured_spans else 0 end as active_end,
        case when first_period <= end_other_until then -measured_clv else 0 end as clv_end,
        case when first_period <= end_other_until then -measured_valued else 0 end as valued_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- active at the end of periods first..last, member part: +1 at its first period ...
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        end_member_from as period_index,
        case when end_member_from <= last_period then measured_spans else 0 end as active_end,
        case when end_member_from <= last_period then measured_clv else 0 end as clv_end,
        case when end_member_from <= last_period then measured_valued else 0 end as valued_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        last_period + 1 as period_index,
        case when end_member_from <= last_period then -measured_spans else 0 end as active_end,
        case when end_member_from <= last_period then -measured_clv else 0 end as clv_end,
        case when end_member_from <= last_period then -measured_valued else 0 end as valued_end,
        0 as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- active at the start of the periods after those, other part: +1 at its first period ...
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        first_period + 1 as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        case when first_period + 1 <= start_other_until then measured_spans else 0 end as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        start_other_until + 1 as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        case when first_period + 1 <= start_other_until then -measured_spans else 0 end as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- active at the start of the periods after those, member part: +1 at its first period ...
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        start_member_from as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        case when start_member_from <= last_period + 1 then measured_spans else 0 end as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        last_period + 1 + 1 as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        case when start_member_from <= last_period + 1 then -measured_spans else 0 end as active_start,
        0 as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- retained (active at start and end), other part: +1 at its first period ...
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        retained_from as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        0 as active_start,
        case when retained_from <= retained_other_until then measured_spans else 0 end as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        false as is_loyalty_member,
        retained_other_until + 1 as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        0 as active_start,
        case when retained_from <= retained_other_until then -measured_spans else 0 end as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- retained (active at start and end), member part: +1 at its first period ...
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        retained_member_from as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        0 as active_start,
        case when retained_member_from <= last_period then measured_spans else 0 end as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- ... -1 after its last (an empty part adds nothing)
    select
        store_id,
        period_grain,
        true as is_loyalty_member,
        last_period + 1 as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        0 as active_start,
        case when retained_member_from <= last_period then -measured_spans else 0 end as retained,
        0 as new_customer,
        0 as acquired_customer
    from spans_with_member_period
    union all
    -- new (first purchase in the period, active at its end) and acquired: in the
    -- span's first period, with the status of that period
    select
        store_id,
        period_grain,
        first_period >= member_period as is_loyalty_member,
        first_period as period_index,
        0 as active_end,
        0 as clv_end,
        0 as valued_end,
        0 as active_start,
        0 as retained,
        new_customers as new_customer,
        acquired_customers as acquired_customer
    from spans_with_member_period
),

events_per_period as (
    select
        store_id,
        period_grain,
        is_loyalty_member,
        period_index,
        sum(active_end) as active_end_delta,
        sum(clv_end) as clv_end_delta,
        sum(valued_end) as valued_end_delta,
        sum(active_start) as active_start_delta,
        sum(retained) as retained_delta,
        sum(new_customer) as new_customers,
        sum(acquired_customer) as acquired_customers
    from span_events
    group by store_id, period_grain, is_loyalty_member, period_index
),

-- each purchase month's customer membership month (joined once per
-- purchase month, before the months are grouped and repeated for every grain)
purchase_months_with_membership as (
    select
        purchase_months.store_id,
        purchase_months.purchase_month,
        purchase_months.previous_purchase_month,
        purchase_months.next_purchase_month,
        {{ month_index('cast(profiles.loyalty_member_since as date)') }} as member_month_index,
        purchase_months.first_purchase_date < purchase_months.last_purchase_date as bought_on_several_days,
        purchase_months.purchases,
        purchase_months.net_revenue
    from purchase_months
    left join profiles
        on
            purchase_months.store_id = profiles.store_id
            and purchase_months.customer_id = profiles.customer_id
            and cast(profiles.loyalty_member_since as date) <= {{ as_of_date() }}
),

-- purchase months that fall alike in the periods of every grain (same
-- months, same membership month, one or several purchase days), counted
-- and summed once (at 10M orders 6.8M rows, 1.15M groups) before they are
-- repeated for every grain
purchase_month_groups as (
    select
        store_id,
        purchase_month,
        previous_purchase_month,
        next_purchase_month,
        member_month_index,
        bought_on_several_days,
        count(*) as customer_months,
        -- the input types of the sums below, as before the grouping
        cast(sum(purchases) as {{ dbt.type_bigint() }}) as purchases,
        cast(sum(net_revenue) as decimal(18, 2)) as net_revenue
    from purchase_months_with_membership
    group by
        store_id,
        purchase_month,
        previous_purchase_month,
        next_purchase_month,
        member_month_index,
        bought_on_several_days
),

-- purchases per period: repeat purchase rate and AOV, from the customers'
-- purchase months (a period holds whole months). A customer counts once per
-- period, in its first purchase month there (the previous one lies in an
-- earlier period); it bought on several days when that month has two
-- purchase days or its next purchase month is in the same period.
-- Membership is per customer: member from its member period on.
purchase_month_periods as (
    select
        purchase_months.store_id,
        grains.period_grain,
        {{ month_index('purchase_months.purchase_month') }}
        {{ integer_division_operator() }} grains.months_per_period as period_index,
        {{ month_index('purchase_months.previous_purchase_month') }}
        {{ integer_division_operator() }} grains.months_per_period as previous_purchase_period,
        {{ month_index('purchase_months.next_purchase_month') }}
        {{ integer_division_operator() }} grains.months_per_period as next_purchase_period,
        coalesce(
            purchase_months.member_month_index
            {{ integer_division_operator() }} grains.months_per_period,
            9999999
        ) as member_period,
        purchase_months.bought_on_several_days,
        purchase_months.customer_months,
        purchase_months.purchases,
        purchase_months.net_revenue
    from purchase_month_groups as purchase_months
    cross join grains
),

purchases_per_period as (
    select
        store_id,
        period_grain,
        period_index >= member_period as is_loyalty_member,
        period_index,
        cast(
            sum(
                case
                    when previous_purchase_period is null or previous_purchase_period < period_index
                        then customer_months
                    else 0
                end
            ) as {{ dbt.type_bigint() }}
        ) as buying_customers,
        cast(
            sum(
                case
                    when
                        (previous_purchase_period is null or previous_purchase_period < period_index)
                        and (bought_on_several_days or next_purchase_period = period_index)
                        then customer_months
                    else 0
                end
            ) as {{ dbt.type_bigint() }}
        ) as repeat_buying_customers,
        sum(purchases) as purchases,
        sum(net_revenue) as net_revenue
    from purchase_month_periods
    group by store_id, period_grain, period_index >= member_period, period_index
),

membership as (
    select false as is_loyalty_member
    union all
    select true as is_loyalty_member
),

-- the periods of fct_retention_periods (same spine: from the period of the store's
-- first purchase to the one holding as_of_date), once per membership group
period_spine as (
    select
        periods.store_id,
        periods.industry_segment,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.is_complete,
        membership.is_loyalty_member,
        {{ month_index('periods.period_start') }}
        {{ integer_division_operator() }} grains.months_per_period as period_index
    from periods
    inner join grains
        on periods.period_grain = grains.period_grain
    cross join membership
),

running_counts as (
    select
        period_spine.store_id,
        period_spine.industry_segment,
        period_spine.period_grain,
        period_spine.period_start,
        period_spine.period_end,
        period_spine.is_complete,
        period_spine.is_loyalty_member,
        period_spine.period_index,
        coalesce(events_per_period.new_customers, 0) as new_customers,
        coalesce(events_per_period.acquired_customers, 0) as acquired_customers,
        sum(coalesce(events_per_period.active_start_delta, 0)) over running as customers_start,
        sum(coalesce(events_per_period.active_end_delta, 0)) over running as customers_end,
        sum(coalesce(events_per_period.retained_delta, 0)) over running as retained_customers,
        sum(coalesce(events_per_period.clv_end_delta, 0)) over running as predicted_clv_end,
        sum(coalesce(events_per_period.valued_end_delta, 0)) over running as valued_customers_end
    from period_spine
    left join events_per_period
        on
            period_spine.store_id = events_per_period.store_id
            and period_spine.period_grain = events_per_period.period_grain
            and period_spine.is_loyalty_member = events_per_period.is_loyalty_member
            and period_spine.period_index = events_per_period.period_index
    window running as (
        partition by period_spine.store_id, period_spine.period_grain, period_spine.is_loyalty_member
        order by period_spine.period_index
        rows between unbounded preceding and current row
    )
),

with_purchases as (
    select
        running_counts.*,
        coalesce(purchases_per_period.buying_customers, 0) as buying_customers,
        coalesce(purchases_per_period.repeat_buying_customers, 0) as repeat_buying_customers,
        coalesce(purchases_per_period.purchases, 0) as purchases,
        coalesce(purchases_per_period.net_revenue, 0) as net_revenue
    from running_counts
    left join purchases_per_period
        on
            running_counts.store_id = purchases_per_period.store_id
            and running_counts.period_grain = purchases_per_period.period_grain
            and running_counts.is_loyalty_member = purchases_per_period.is_loyalty_member
            and running_counts.period_index = purchases_per_period.period_index
),

final as (
    select
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(industry_segment as {{ dbt.type_string() }}) as industry_segment,
        cast(is_loyalty_member as boolean) as is_loyalty_member,
        cast(period_grain as {{ dbt.type_string() }}) as period_grain,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(is_complete as boolean) as is_complete,
        cast(customers_start as bigint) as customers_start,
        cast(customers_end as bigint) as customers_end,
        cast(new_customers as bigint) as new_customers,
        cast(retained_customers as bigint) as retained_customers,
        cast(customers_start - retained_customers as bigint) as churned_customers,
        cast(customers_end - retained_customers - new_customers as bigint) as reactivated_customers,
        cast(acquired_customers as bigint) as acquired_customers,
        cast(
            {{ customer_retention_rate('customers_start', 'customers_end', 'new_customers') }}
            as double
        ) as crr,
        cast(
            {{ churn_rate('customers_start - retained_customers', 'customers_start') }} as double
        ) as churn_rate,
        cast(buying_customers as bigint) as buying_customers,
        cast({{ safe_ratio('repeat_buying_customers', 'buying_customers') }} as double)
            as repeat_purchase_rate,
        cast({{ average_order_value('net_revenue', 'purchases') }} as decimal(18, 2))
            as average_order_value,
        {{ double_to_cents(safe_ratio('predicted_clv_end', 'valued_customers_end')) }} as average_predicted_clv
    from with_purchases
)

select * from final
