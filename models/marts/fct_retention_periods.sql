{#
    Period retention per store: one row per store x period_grain x
    period_start, from the period holding the store's first purchase to the
    period holding as_of_date (the last one may be incomplete).

    Cost grows with purchases, not with customers x days ("islands"):
    1. each purchase day p makes its customer active on [p, p + W - 1];
       overlapping or adjacent intervals merge into activity spans;
    2. a period is observed once, on its measurement day
       measured_on = least(period_end, as_of_date); S of a period is the
       measurement of the previous period (its end is the day before start);
    3. a span covers a contiguous run of periods [first_period, last_period]
       (those whose measurement day it contains); each span adds +1/-1
       events at the ends of that run and a running sum over the period
       index gives E, S and retained without visiting customer x period.
#}

with purchases as (
    select * from {{ ref('fct_orders') }}
    where
        customer_order_number is not null
        and order_date <= {{ as_of_date() }}
),

grains as (
    select
        'month' as period_grain,
        1 as months_per_period
    union all
    select
        'quarter' as period_grain,
        3 as months_per_period
    union all
    select
        'year' as period_grain,
        12 as months_per_period
),

purchase_days as (
    select distinct
        store_id,
        customer_id,
        industry_segment,
        order_date as purchase_date
    from purchases
),

purchase_days_with_gaps as (
    select
        *,
        {{ days_between(
            'lag(purchase_date) over (partition by store_id, customer_id order by purchase_date)',
            'purchase_date'
        ) }} as days_since_previous_purchase
    from purchase_days
),

-- a new span starts when the previous purchase's window (W days) ended
-- before this purchase: gap > W days; a gap of exactly W is adjacent
islands as (
    select
        *,
        sum(
            case
                when
                    days_since_previous_purchase is null
                    or days_since_previous_purchase > {{ var('active_window_days') }}
                    then 1
                else 0
            end
        ) over (
            partition by store_id, customer_id
            order by purchase_date
            rows between unbounded preceding and current row
        ) as span_number
    from purchase_days_with_gaps
),

activity_spans as (
    select
        store_id,
        customer_id,
        industry_segment,
        span_number,
        min(min(purchase_date)) over (partition by store_id, customer_id) as first_purchase_date,
        min(purchase_date) as active_from,
        max(purchase_date) + {{ var('active_window_days') }} - 1 as active_until
    from islands
    group by store_id, customer_id, industry_segment, span_number
),

-- period index = months since year 0 integer-divided by months per period
spans_in_periods as (
    select
        activity_spans.*,
        grains.period_grain,
        grains.months_per_period,
        (year(activity_spans.active_from) * 12 + month(activity_spans.active_from) - 1)
        {{ integer_division_operator() }} grains.months_per_period as first_period,
        (
            year(activity_spans.first_purchase_date) * 12
            + month(activity_spans.first_purchase_date) - 1
        ) {{ integer_division_operator() }} grains.months_per_period as first_purchase_period,
        case
            when activity_spans.active_until >= {{ as_of_date() }}
                then
                    (year({{ as_of_date() }}) * 12 + month({{ as_of_date() }}) - 1)
                    {{ integer_division_operator() }} grains.months_per_period
            else
                (
                    year(activity_spans.active_until + 1) * 12
                    + month(activity_spans.active_until + 1) - 1
                ) {{ integer_division_operator() }} grains.months_per_period - 1
        end as last_period
    from activity_spans
    cross join grains
),

-- a span that contains no measurement day (shorter than a period, between
-- two measurement days) counts in no S, E or retained; it can still hold
-- the customer's acquisition
measured_spans as (
    select
        *,
        case when last_period >= first_period then 1 else 0 end as is_measured,
        -- last period covered by the customer's previous measured span
        max(case when last_period >= first_period then last_period end) over (
            partition by store_id, customer_id, period_grain
            order by span_number
            rows between unbounded preceding and 1 preceding
        ) as previous_span_last_period
    from spans_in_periods
),

-- one scan of the spans: each span emits its +1/-1 events as a list
span_events as (
    select
        store_id,
        period_grain,
        -- events, in order: active at the end of first..last period (+1, -1);
        -- active at the start of the following periods (+1, -1); active at
        -- start and end: the periods after the span's first, plus the first
        -- when the previous span covered the previous period (+1, -1; when
        -- the range is empty they cancel); new: first purchase in the period
        -- and active at its end (the span measured there need not be the
        -- first: a lapse inside it); acquired: the customer's first span, in
        -- its first period
        {%- set zero = {'active_end': '0', 'active_start': '0', 'retained': '0', 'new': '0', 'acquired': '0'} %}
        {%- set events = [
            {'period_index': 'first_period', 'active_end': 'is_measured'},
            {'period_index': 'last_period + 1', 'active_end': '-is_measured'},
            {'period_index': 'first_period + 1', 'active_start': 'is_measured'},
            {'period_index': 'last_period + 2', 'active_start': '-is_measured'},
            {
                'period_index': 'case when previous_span_last_period = first_period - 1'
                    ~ ' then first_period else first_period + 1 end',
                'retained': 'is_measured',
            },
            {'period_index': 'last_period + 1', 'retained': '-is_measured'},
            {
                'period_index': 'first_period',
                'new': 'case when first_period = first_purchase_period then is_measured else 0 end',
                'acquired': 'case when span_number = 1 then 1 else 0 end',
            },
        ] %}
        {%- set structs = [] %}
        {%- for event in events %}
            {%- set fields = {'period_index': event['period_index']} %}
            {%- for name in ['active_end', 'active_start', 'retained', 'new', 'acquired'] %}
                {%- do fields.update({name: event.get(name, zero[name])}) %}
            {%- endfor %}
            {%- do structs.append(struct_of(fields)) %}
        {%- endfor %}
        {{ unnest_list(list_of(structs)) }} as event
    from measured_spans
),

events_per_period as (
    select
        store_id,
        period_grain,
        event['period_index'] as period_index,
        sum(event['active_end']) as active_end_delta,
        sum(event['active_start']) as active_start_delta,
        sum(event['retained']) as retained_delta,
        sum(event['new']) as new_customers,
        sum(event['acquired']) as acquired_customers
    from span_events
    group by store_id, period_grain, event['period_index']
),

stores as (
    select
        store_id,
        min(industry_segment) as industry_segment,
        min(active_from) as first_purchase_date
    from activity_spans
    group by store_id
),

period_spine as (
    select
        stores.store_id,
        stores.industry_segment,
        grains.period_grain,
        grains.months_per_period,
        {{ unnest_series(
            '(year(stores.first_purchase_date) * 12 + month(stores.first_purchase_date) - 1) '
            ~ integer_division_operator() ~ ' grains.months_per_period',
            '(year(' ~ as_of_date() ~ ') * 12 + month(' ~ as_of_date() ~ ') - 1) '
            ~ integer_division_operator() ~ ' grains.months_per_period'
        ) }} as period_index
    from stores
    cross join grains
),

running_counts as (
    select
        period_spine.store_id,
        period_spine.industry_segment,
        period_spine.period_grain,
        period_spine.months_per_period,
        period_spine.period_index,
        coalesce(events_per_period.new_customers, 0) as new_customers,
        coalesce(events_per_period.acquired_customers, 0) as acquired_customers,
        sum(coalesce(events_per_period.active_start_delta, 0)) over running as customers_start,
        sum(coalesce(events_per_period.active_end_delta, 0)) over running as customers_end,
        sum(coalesce(events_per_period.retained_delta, 0)) over running as retained_customers
    from period_spine
    left join events_per_period
        on
            period_spine.store_id = events_per_period.store_id
            and period_spine.period_grain = events_per_period.period_grain
            and period_spine.period_index = events_per_period.period_index
    window running as (
        partition by period_spine.store_id, period_spine.period_grain
        order by period_spine.period_index
        rows between unbounded preceding and current row
    )
),

with_dates as (
    select
        *,
        make_date(
            cast((period_index * months_per_period) {{ integer_division_operator() }} 12 as integer),
            cast((period_index * months_per_period) % 12 + 1 as integer),
            1
        ) as period_start
    from running_counts
),

final as (
    select
        store_id,
        industry_segment,
        period_grain,
        cast(period_start as date) as period_start,
        cast({{ add_months('period_start', 'months_per_period') }} - interval 1 day as date) as period_end,
        cast(
            least({{ add_months('period_start', 'months_per_period') }} - interval 1 day, {{ as_of_date() }})
            as date
        ) as measured_on,
        {{ add_months('period_start', 'months_per_period') }} - interval 1 day <= {{ as_of_date() }}
            as is_complete,
        cast({{ var('active_window_days') }} as integer) as active_window_days,
        cast(customers_start as bigint) as customers_start,
        cast(customers_end as bigint) as customers_end,
        cast(new_customers as bigint) as new_customers,
        cast(retained_customers as bigint) as retained_customers,
        cast(customers_start - retained_customers as bigint) as churned_customers,
        cast(customers_end - retained_customers - new_customers as bigint) as reactivated_customers,
        cast(acquired_customers as bigint) as acquired_customers,
        cast(acquired_customers - new_customers as bigint) as new_customers_lapsed,
        cast(
            {{ customer_retention_rate('customers_start', 'customers_end', 'new_customers') }}
            as double
        ) as crr,
        cast(
            {{ churn_rate('customers_start - retained_customers', 'customers_start') }} as double
        ) as churn_rate
    from with_dates
)

select * from final
