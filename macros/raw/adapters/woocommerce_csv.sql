{#
    RAW_FORMAT=woocommerce_csv: WooCommerce order export CSV files (the
    Customer / Order / Coupon Export plugin's snake_case columns, format
    "one row per item"), RAW_DATA_DIR/<store_id>/*.csv (or .csv.gz), turned
    into the raw tables of docs/raw-data.md. Mapping decisions:
    DECISIONLOG.md "Store-export adapters" and README "Bring your store".

    - order = the rows of one order_id in one file; order-level columns are
      read from whichever of its rows has them;
    - ordered_at = order_date, written in the site's local time without an
      offset: converted to UTC with the store's time zone (stores.csv beside
      the store folders), else taken as UTC;
    - subtotal_amount = sum(item_subtotal) (line items before discounts, tax
      excluded); discount_amount = discount_total; shipping = shipping_total;
      tax = tax_total;
    - status: completed, processing -> completed; on-hold, pending,
      checkout-draft -> pending; cancelled, failed -> cancelled; refunded ->
      refunded; trash (deleted) orders are left out; other values reach
      staging as they are (rejected as unknown_status);
    - customer_id = customer_id, 0 = guest (null); with var
      customer_identity = email, the salted hash of billing_email instead;
    - refunds: WooCommerce stores a refund as an order of its own whose
      parent_id points at the refunded order: when the export has such rows
      (parent_id set), each is one refund dated at its own order_date, amount
      = |order_total| - |tax_total| - |shipping_total|; an order without refund
      rows but with refunded_total > 0 gets one refund dated at the order,
      capped at its net value.
#}

{% macro woocommerce_csv_raw_table(name) %}
    {%- set spec = raw_tables()[name] -%}
    {%- set export = adapter_csv_export(
        name, "woocommerce_csv", "WooCommerce order export",
        ["order_id", "order_date", "status", "customer_id", "billing_email", "order_currency",
         "discount_total", "item_subtotal"]
    ) -%}
    {%- if export.relation is not none -%}
        {{ return(export.relation) }}
    {%- endif -%}
    {%- set columns = export.columns %}
    {%- set by_email = customer_identity() == "email" %}

    with line_rows as (
        {{ adapter_csv_line_rows(export.files) }}
    ),

    store_time_zones as (
        select
            trim(cast(store_id as {{ dbt.type_string() }})) as store_id,
            min(nullif(trim(cast(timezone as {{ dbt.type_string() }})), '')) as timezone
        from ({{ select_raw_file("stores") }})
        group by 1
    ),

    line_items as (
        select
            filename as _source_file,
            {{ adapter_csv_row_number() }} as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            {{ adapter_column(columns, "order_id") }} as order_id,
            {{ adapter_column(columns, "parent_id") }} as parent_id,
            {{ adapter_column(columns, "order_date") }} as order_date,
            regexp_replace(lower({{ adapter_column(columns, "status") }}), '^wc-', '') as wc_status,
            {{ adapter_column(columns, "customer_id") }} as wc_customer_id,
            {{ adapter_column(columns, "billing_email") }} as billing_email,
            {{ adapter_column(columns, "billing_country") }} as billing_country,
            upper({{ adapter_column(columns, "order_currency") }}) as currency,
            {{ adapter_column(columns, "discount_total") }} as discount_total,
            {{ adapter_column(columns, "shipping_total") }} as shipping_total,
            {{ adapter_column(columns, "tax_total") }} as tax_total,
            {{ adapter_column(columns, "order_total") }} as order_total,
            {{ adapter_column(columns, "refunded_total") }} as refunded_total,
            {{ adapter_column(columns, "coupon_items") }} as coupon_items,
            {{ adapter_column(columns, "item_subtotal") }} as item_subtotal
        from line_rows
    ),

    orders as (
        select
            min(line_items._source_row_number) as _source_row_number,
            line_items._source_file,
            line_items.store_id,
            line_items.order_id,
            max(line_items.parent_id) as parent_id,
            max(line_items.order_date) as order_date,
            max(line_items.wc_status) as wc_status,
            max(line_items.wc_customer_id) as wc_customer_id,
            max(line_items.billing_email) as billing_email,
            max(line_items.billing_country) as billing_country,
            max(line_items.currency) as currency,
            max(line_items.discount_total) as discount_total,
            max(line_items.shipping_total) as shipping_total,
            max(line_items.tax_total) as tax_total,
            max(line_items.order_total) as order_total,
            max(line_items.refunded_total) as refunded_total,
            max(line_items.coupon_items) as coupon_items,
            -- text when an item amount does not parse: staging rejects it
            case
                when bool_or(
                    line_items.item_subtotal is not null
                    and try_cast(line_items.item_subtotal as decimal(18, 2)) is null
                ) then 'unparseable item_subtotal'
                else cast(sum(try_cast(line_items.item_subtotal as decimal(18, 2))) as {{ dbt.type_string() }})
            end as subtotal_amount
        from line_items
        group by line_items._source_file, line_items.store_id, line_items.order_id
    ),

    with_time_zone as (
        select
            orders.*,
            case
                -- local wall-clock time of the site -> UTC, when the store's zone is known
                when store_time_zones.timezone is not null
                    and try_cast(orders.order_date as timestamp) is not null
                    and not regexp_matches(orders.order_date, '([+-]\d{2}:?\d{2}|Z)$')
                    then strftime(
                        timezone(store_time_zones.timezone, try_cast(orders.order_date as timestamp)),
                        '%Y-%m-%d %H:%M:%S+00:00'
                    )
                else {{ adapter_iso_timestamp("orders.order_date") }}
            end as ordered_at
        from orders
        left join store_time_zones
            on orders.store_id = store_time_zones.store_id
    ),

    -- refunds are orders of their own pointing at their parent
    refund_orders as (
        select * from with_time_zone
        where coalesce(parent_id, '0') not in ('0', '')
    ),

    -- deleted (trash) orders never reach the warehouse (DECISIONLOG.md)
    real_orders as (
        select * from with_time_zone
        where
            coalesce(parent_id, '0') in ('0', '')
            and coalesce(wc_status, '') != 'trash'
    ),

    mapped_orders as (
        select
            _source_row_number,
            _source_file,
            store_id,
            order_id,
            {%- if by_email %}
            {{ hash_pii("billing_email") }} as customer_id,
            {%- else %}
            case when wc_customer_id in ('0', '') then null else wc_customer_id end as customer_id,
            {%- endif %}
            ordered_at,
            case
                when wc_status in ('completed', 'processing') then 'completed'
                when wc_status in ('on-hold', 'pending', 'checkout-draft') then 'pending'
                when wc_status in ('cancelled', 'failed') then 'cancelled'
                when wc_status = 'refunded' then 'refunded'
                else wc_status
            end as status,
            currency,
            subtotal_amount,
            discount_total as discount_amount,
            shipping_total as shipping_amount,
            tax_total as tax_amount,
            cast(null as {{ dbt.type_string() }}) as channel,
            cast(null as {{ dbt.type_string() }}) as device,
            coupon_items as discount_code,
            try_cast(refunded_total as decimal(18, 2)) as refunded_total,
            try_cast(subtotal_amount as decimal(18, 2))
            - coalesce(try_cast(discount_total as decimal(18, 2)), 0) as net_value,
            {{ hash_pii("billing_email") }} as email_hash,
            billing_country
        from real_orders
    )

    {%- if name == "orders" %}

    select
        {%- for column in ["_source_row_number", "_source_file"] + spec["columns"] %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from mapped_orders

    {%- elif name == "refunds" %}

    select
        _source_row_number,
        _source_file,
        order_id as refund_id,
        store_id,
        parent_id as order_id,
        ordered_at as refunded_at,
        cast(
            abs(try_cast(order_total as decimal(18, 2)))
            - abs(coalesce(try_cast(tax_total as decimal(18, 2)), 0))
            - abs(coalesce(try_cast(shipping_total as decimal(18, 2)), 0))
            as {{ dbt.type_string() }}
        ) as amount
    from refund_orders
    union all
    -- refunded_total without refund rows: no refund date, dated at the order
    select
        _source_row_number,
        _source_file,
        order_id || '-refund' as refund_id,
        store_id,
        order_id,
        ordered_at as refunded_at,
        cast(least(refunded_total, net_value) as {{ dbt.type_string() }}) as amount
    from mapped_orders
    where
        least(refunded_total, net_value) > 0
        and not exists (
            select 1 from refund_orders
            where
                refund_orders.store_id = mapped_orders.store_id
                and refund_orders.parent_id = mapped_orders.order_id
        )

    {%- elif name == "customers" %}

    -- one row per customer key: attributes of its first order in the export
    select
        _source_row_number,
        _source_file,
        store_id,
        customer_id,
        cast(null as {{ dbt.type_string() }}) as created_at,
        email_hash,
        billing_country as country_code,
        cast(null as {{ dbt.type_string() }}) as accepts_marketing,
        cast(null as {{ dbt.type_string() }}) as loyalty_member_since
    from mapped_orders
    where customer_id is not null
    qualify row_number() over (
        partition by store_id, customer_id order by ordered_at, _source_file, _source_row_number
    ) = 1

    {%- endif %}
{%- endmacro %}
