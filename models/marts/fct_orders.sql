{#
    One row per accepted order dated on or before as_of_date, every status.
    Money is in the reporting currency. net_revenue is recognised on
    purchases only (completed or refunded orders): subtotal - discount -
    refunds; cancelled and pending orders carry 0. The purchase sequence
    columns (customer_order_number, is_first_order,
    days_since_previous_order) count a customer's purchases only and are
    null for guests and non-purchases.
#}

with orders as (
    select * from {{ ref('stg_shop__orders') }}
    where order_date <= {{ as_of_date() }}
),

refunds as (
    select * from {{ ref('int_order_refunds_summed') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

orders_with_refunds as (
    select
        orders.*,
        coalesce(refunds.refunded_in_order_currency, 0) as refunded_in_order_currency,
        coalesce(stores.industry_segment, 'unclassified') as industry_segment,
        orders.is_purchase and orders.customer_id is not null as is_customer_purchase
    from orders
    left join refunds
        on
            orders.store_id = refunds.store_id
            and orders.order_id = refunds.order_id
    left join stores
        on orders.store_id = stores.store_id
),

refunds_converted as (
    select
        *,
        {{ to_reporting_currency('refunded_in_order_currency', 'rate_to_reporting') }}
            as refund_reporting
    from orders_with_refunds
),

with_net_revenue as (
    select
        *,
        -- each amount is rounded to cents on its own; a full refund can then
        -- exceed subtotal - discount by a cent, so it is capped at that value:
        -- net = subtotal - discount - refund holds to the cent and is >= 0
        case
            when is_purchase then least(refund_reporting, subtotal_reporting - discount_reporting)
            else refund_reporting
        end as refund_amount_reporting
    from refunds_converted
),

-- one window, one sort: a customer's purchases sort first in its partition,
-- so their row numbers and lags are those of the purchases alone, and the
-- partition's first value is the first purchase (BENCHMARKS.md)
sequenced as (
    select
        *,
        row_number() over customer_orders as purchase_number,
        lag(order_date) over customer_orders as previous_purchase_date,
        first_value(case when is_customer_purchase then order_date end) over customer_orders
            as first_purchase_date
    from with_net_revenue
    window customer_orders as (
        partition by store_id, customer_id
        order by is_customer_purchase desc, ordered_at asc, order_id asc
    )
),

final as (
    select
        store_id,
        order_id,
        customer_id,
        industry_segment,
        ordered_at,
        order_date,
        cast({{ month_start('order_date') }} as date) as order_month,
        status,
        is_purchase,
        is_guest,
        currency as order_currency,
        cast(subtotal_reporting as decimal(18, 2)) as subtotal_amount,
        cast(discount_reporting as decimal(18, 2)) as discount_amount,
        cast(refund_amount_reporting as decimal(18, 2)) as refund_amount,
        cast(shipping_reporting as decimal(18, 2)) as shipping_amount,
        cast(tax_reporting as decimal(18, 2)) as tax_amount,
        cast(
            case
                when is_purchase then subtotal_reporting - discount_reporting - refund_amount_reporting
                else 0
            end as decimal(18, 2)
        ) as net_revenue,
        has_discount,
        discount_code,
        channel,
        device,
        case when is_customer_purchase then purchase_number = 1 end as is_first_order,
        cast(case when is_customer_purchase then purchase_number end as integer)
            as customer_order_number,
        cast(
            case
                when is_customer_purchase then {{ days_between('previous_purchase_date', 'order_date') }}
            end as integer
        ) as days_since_previous_order,
        cast({{ month_start('first_purchase_date') }} as date) as cohort_month,
        cast(
            case
                when is_customer_purchase
                    then {{ months_between(month_start('first_purchase_date'), month_start('order_date')) }}
            end as integer
        ) as months_since_first_order
    from sequenced
)

select * from final
