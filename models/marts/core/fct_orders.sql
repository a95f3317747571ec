{#
    One row per accepted order dated on or before as_of_date, every status.
    Money is in the reporting currency. net_revenue is recognised on
    purchases only (completed or refunded orders): subtotal - discount -
    refunds; cancelled and pending orders carry 0 (macros/incremental/
    unsequenced_orders.sql). The purchase sequence
    columns (customer_order_number, is_first_order,
    days_since_previous_order) count a customer's purchases only and are
    null for guests and non-purchases.

    Incremental (DuckDB: delete+insert on store_id, order_id; Spark: see
    macros/cross_engine/incremental.sql): a build compares with their
    published rows only the orders that may have changed (the changelogs of
    base_shop__orders and base_shop__refunds, refunds dated near as_of_date,
    a later as_of_date), re-sequences only the
    customers whose orders changed, writes only the rows that differ from
    the published ones, records those customers in its own
    changelog (read by the customer-level models) and gives the same rows
    as a full refresh (DECISIONLOG.md, "Incremental fct_orders" and
    "Changelog"; tested in retention/tests/test_incremental.py). A change
    of anything but the orders and refunds it reads (its code, a macro, a
    store row, a var other than as_of_date) rebuilds it in full (config
    incremental_inputs, macros/build_log/materializations.sql).
#}

-- depends_on: {{ ref('stg_shop__refunds') }}
{#- read by the incremental run only; named here so that dbt orders it before #}
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy=incremental_strategy(),
    unique_key=['store_id', 'order_id'],
    on_schema_change='fail',
    post_hook="{{ delete_unpublishable_orders() }}",
    incremental_inputs=['stg_shop__orders', 'int_order_refunds_summed', 'stg_shop__refunds'],
    changes_from=['base_shop__orders', 'base_shop__refunds'],
    changelog_keys=['store_id', 'customer_id'],
) }}

{#- the columns that do not depend on the customer's other orders, in the
    contract's order: compared with the published row to find changed orders #}
{%- set fingerprint_columns = [
    'customer_id', 'industry_segment', 'ordered_at', 'order_date', 'order_month',
    'status', 'is_purchase', 'is_guest', 'order_currency', 'subtotal_amount',
    'discount_amount', 'refund_amount', 'shipping_amount', 'tax_amount',
    'net_revenue', 'has_discount', 'discount_code', 'channel', 'device',
] %}
{#- the columns computed from the customer's purchases, after them #}
{%- set sequence_columns = [
    'is_first_order', 'customer_order_number', 'days_since_previous_order',
    'cohort_month', 'months_since_first_order',
] %}

with orders as {{ not_materialized() }} (
    select * from {{ ref('stg_shop__orders') }}
    where order_date <= /* build-mode { */{{ as_of_date() }}/* } build-mode */
),

refunds as (
    select * from {{ ref('int_order_refunds_summed') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

{% if is_incremental() %}
/* build-mode { */
-- Incremental run: an order changed when its row differs from the one
-- published (new, late-arriving, status or refund changed, moved past
-- as_of_date, gone from the export). Only orders that may have changed are
-- compared: those whose staging rows were deleted or inserted since the
-- last build (the changelog of base_shop__orders; every order after a
-- reset), those whose refund rows were (the changelog of
-- base_shop__refunds; after a reset every order with a refund now or when
-- published), those with a refund that as_of_date may have taken in or
-- out of the sums (dated after the earlier of as_of_date and the latest
-- published order, which is on or before the last build's as_of_date),
-- and those dated after the latest published order (an as_of_date moved
-- later). Every
-- customer owning a changed order, before or after the change, is
-- sequenced again in full; all other rows stay as they are. Orders gone
-- from the source are deleted by the post-hook. Each step filters the
-- staging rows first and computes their columns after
-- (unsequenced_orders): a day's change reads a day's orders.
refund_rows as (
    select * from {{ ref('stg_shop__refunds') }}
),

-- on or before the last build's as_of_date
latest_published_order as (
    select max(order_date) as order_date
    from {{ this }}
),

may_have_changed as (
    {{ keys_to_read('base_shop__orders', 'orders', 'order_id') }}
    union all
    select
        store_id,
        order_id as entity_id
    from {{ this }}
    where {{ all_keys_changed('base_shop__orders') }}
    union all
    {{ keys_to_read('base_shop__refunds', 'refund_rows', 'order_id') }}
    union all
    select
        store_id,
        order_id as entity_id
    from {{ this }}
    where refund_amount <> 0 and {{ all_keys_changed('base_shop__refunds') }}
    union all
    select
        store_id,
        order_id as entity_id
    from refund_rows
    where refund_date > least(
        {{ as_of_date() }},
        coalesce((select latest_published_order.order_date from latest_published_order), {{ as_of_date() }})
    )
    union all
    select
        store_id,
        order_id as entity_id
    from orders
    where order_date > (select latest_published_order.order_date from latest_published_order)
),

-- the key sets are joined as distinct lists (inner joins): DuckDB runs an
-- `exists` against a CTE as a delim join, a third slower here; each is
-- read through small_key_list, so that the joins build their hash tables
-- on the keys, not on the 10M orders
candidate_keys as (
    select distinct
        store_id,
        entity_id
    from may_have_changed
),

candidate_orders as (
    select orders.*
    from orders
    inner join {{ small_key_list('candidate_keys', ['store_id', 'entity_id'], 'base_shop__orders') }}
        on
            orders.store_id = candidate_keys.store_id
            and orders.order_id = candidate_keys.entity_id
),

candidate_fingerprints as (
    select
        store_id,
        order_id,
        customer_id,
        {{ content_hash(fingerprint_columns) }} as fingerprint
    from ({{ unsequenced_orders('candidate_orders', 'refunds', 'stores') }}) as candidates
),

published_fingerprints as (
    select
        published.store_id,
        published.order_id,
        published.customer_id,
        {{ content_hash(fingerprint_columns) }} as fingerprint
    from {{ this }} as published
    inner join {{ small_key_list('candidate_keys', ['store_id', 'entity_id'], 'base_shop__orders') }}
        on
            published.store_id = candidate_keys.store_id
            and published.order_id = candidate_keys.entity_id
),

changed_orders as (
    select
        coalesce(candidate.store_id, published.store_id) as store_id,
        coalesce(candidate.order_id, published.order_id) as order_id,
        candidate.customer_id as candidate_customer_id,
        published.customer_id as published_customer_id
    from candidate_fingerprints as candidate
    full outer join published_fingerprints as published
        on
            candidate.store_id = published.store_id
            and candidate.order_id = published.order_id
    where candidate.fingerprint is distinct from published.fingerprint
),

affected_customers as (
    select
        store_id,
        candidate_customer_id as customer_id
    from changed_orders
    where candidate_customer_id is not null
    union
    select
        store_id,
        published_customer_id as customer_id
    from changed_orders
    where published_customer_id is not null
),
/* } build-mode */
{% endif %}

-- every order of an affected customer (a distinct list), and guests'
-- changed orders (no customer to re-sequence; one row per order): two
-- joins, not one `or` of two (DuckDB turns that into mark joins)
orders_to_sequence as (
    select orders.*
    from orders
    {%- if is_incremental() %}
        /* build-mode { */
        inner join {{ small_key_list('affected_customers', ['store_id', 'customer_id'], 'base_shop__orders') }}
            on
                orders.store_id = affected_customers.store_id
                and orders.customer_id = affected_customers.customer_id
        union all
        select orders.*
        from orders
        inner join changed_orders
            on
                orders.store_id = changed_orders.store_id
                and orders.order_id = changed_orders.order_id
        where orders.customer_id is null
        /* } build-mode */
    {%- endif %}
),

-- every column that does not depend on the customer's other orders
to_sequence as (
    {{ unsequenced_orders('orders_to_sequence', 'refunds', 'stores') }}
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
    from to_sequence
    window customer_orders as (
        partition by store_id, customer_id
        order by is_customer_purchase desc, ordered_at asc, order_id asc
    )
),

final as (
    select
        store_id,
        order_id,
        {%- for column in fingerprint_columns %}
            {{ column }},
        {%- endfor %}
        case when is_customer_purchase then purchase_number = 1 end as is_first_order,
        cast(case when is_customer_purchase then purchase_number end as integer)
            as customer_order_number,
        cast(
            case
                when is_customer_purchase then {{ dbt.datediff('previous_purchase_date', 'order_date', 'day') }}
            end as integer
        ) as days_since_previous_order,
        cast({{ dbt.date_trunc('month', 'first_purchase_date') }} as date) as cohort_month,
        cast(
            case
                when is_customer_purchase
                    then {{ months_between(dbt.date_trunc('month', 'first_purchase_date'), 'order_month') }}
            end as integer
        ) as months_since_first_order
    from sequenced
),

{% if is_incremental() %}
/* build-mode { */
-- the published rows of the re-sequenced customers: a row that comes out
-- as it was published is not written again (a day's order leaves its
-- customer's earlier rows as they were; at 10M orders 41,676 of the
-- 360,765 re-sequenced rows of a one-day change differ). Exact, every
-- column, nulls equal (except)
published_rows as (
    select {{ qualified('published', ['store_id', 'order_id'] + fingerprint_columns + sequence_columns) }}
    from {{ this }} as published
    inner join {{ small_key_list('affected_customers', ['store_id', 'customer_id'], 'base_shop__orders') }}
        on
            published.store_id = affected_customers.store_id
            and published.customer_id = affected_customers.customer_id
),

changed_rows as (
    select * from final
    except
    select * from published_rows
),
/* } build-mode */
{% endif %}

rows_to_write as (
    select * from /* build-mode { */{{ 'changed_rows' if is_incremental() else 'final' }}/* } build-mode */
)

select * from rows_to_write
