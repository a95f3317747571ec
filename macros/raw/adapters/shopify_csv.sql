{#
    RAW_FORMAT=shopify_csv: the Shopify admin "Export orders" CSV files
    (one row per line item), RAW_DATA_DIR/<store_id>/*.csv (or .csv.gz),
    turned into the raw tables of docs/raw-data.md. Mapping decisions:
    DECISIONLOG.md "Store-export adapters" and README "Bring your store".

    - order = the rows of one order in one file: order-level fields are
      filled on its first line-item row only; rows are grouped by `Name` and
      the `Id` of the order's first row (Name alone is not unique);
    - order_id = `Id` (Shopify's unique order id; `Name` when the export has
      no Id column); ordered_at = `Created at`;
    - subtotal_amount = sum(Lineitem quantity x Lineitem price) (before
      discounts); discount_amount = that minus `Subtotal` (Shopify's Subtotal
      is already net of discounts), so net revenue = Subtotal - refunds;
    - status from `Financial Status` and `Cancelled at`;
    - customer_id = salted hash of the normalised `Email` (the export has no
      customer id; guest checkouts of one person join up); no e-mail = guest;
    - refunds: `Refunded Amount` (no date in the export) -> one refund dated
      at the order, capped at Subtotal (the amount includes refunded tax and
      shipping, which net revenue never contained);
    - test orders (column `Test` true, or the Bogus test gateway) are left out.
#}

{% macro shopify_csv_raw_table(name) %}
    {%- set spec = raw_tables()[name] -%}
    {%- set export = adapter_csv_export(
        name, "shopify_csv", "Shopify orders export",
        ["Name", "Email", "Financial Status", "Created at", "Currency", "Subtotal",
         "Lineitem quantity", "Lineitem price"]
    ) -%}
    {%- if export.relation is not none -%}
        {{ return(export.relation) }}
    {%- endif -%}
    {%- set columns = export.columns %}

    with line_rows as (
        {{ adapter_csv_line_rows(export.files) }}
    ),

    line_items as (
        select
            filename as _source_file,
            {{ adapter_csv_row_number() }} as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            {{ adapter_column(columns, "Name") }} as order_name,
            {{ adapter_column(columns, "Id") }} as shopify_order_id,
            {{ adapter_column(columns, "Email") }} as email,
            lower({{ adapter_column(columns, "Financial Status") }}) as financial_status,
            {{ adapter_column(columns, "Created at") }} as created_at,
            {{ adapter_column(columns, "Cancelled at") }} as cancelled_at,
            upper({{ adapter_column(columns, "Currency") }}) as currency,
            try_cast({{ adapter_column(columns, "Subtotal") }} as decimal(18, 2)) as subtotal,
            {{ adapter_column(columns, "Subtotal") }} as subtotal_text,
            {{ adapter_column(columns, "Shipping") }} as shipping,
            {{ adapter_column(columns, "Taxes") }} as taxes,
            {{ adapter_column(columns, "Discount Code") }} as discount_code,
            try_cast({{ adapter_column(columns, "Refunded Amount") }} as decimal(18, 2)) as refunded_amount,
            lower({{ adapter_column(columns, "Source") }}) as source_name,
            lower({{ adapter_column(columns, "Accepts Marketing") }}) as accepts_marketing,
            {{ adapter_column(columns, "Billing Country") }} as billing_country,
            lower({{ adapter_column(columns, "Payment Method") }}) as payment_method,
            lower({{ adapter_column(columns, "Test") }}) as test_flag,
            try_cast({{ adapter_column(columns, "Lineitem quantity") }} as decimal(18, 4)) as line_quantity,
            try_cast({{ adapter_column(columns, "Lineitem price") }} as decimal(18, 4)) as line_price,
            {{ adapter_column(columns, "Lineitem quantity") }} is not null
                and try_cast({{ adapter_column(columns, "Lineitem quantity") }} as decimal(18, 4)) is null
            or {{ adapter_column(columns, "Lineitem price") }} is not null
                and try_cast({{ adapter_column(columns, "Lineitem price") }} as decimal(18, 4)) is null
                as has_unparseable_line_amount
        from line_rows
    ),

    -- the rows after an order's first inherit its Id (order-level fields
    -- are filled on the first line-item row only)
    keyed_line_items as (
        select
            *,
            coalesce(
                last_value(shopify_order_id ignore nulls) over (
                    partition by _source_file, order_name
                    order by _source_row_number
                    rows between unbounded preceding and current row
                ),
                order_name
            ) as order_key
        from line_items
    ),

    orders as (
        select
            min(_source_row_number) as _source_row_number,
            _source_file,
            store_id,
            order_key as order_id,
            max(email) as email,
            max(financial_status) as financial_status,
            max(created_at) as created_at,
            max(cancelled_at) as cancelled_at,
            max(currency) as currency,
            max(subtotal) as subtotal,
            max(subtotal_text) as subtotal_text,
            max(shipping) as shipping,
            max(taxes) as taxes,
            max(discount_code) as discount_code,
            max(refunded_amount) as refunded_amount,
            max(source_name) as source_name,
            max(accepts_marketing) as accepts_marketing,
            max(billing_country) as billing_country,
            max(payment_method) as payment_method,
            max(test_flag) as test_flag,
            sum(line_quantity * line_price) as line_items_value,
            bool_or(has_unparseable_line_amount) as has_unparseable_line_amount
        from keyed_line_items
        group by _source_file, store_id, order_key
    ),

    -- test orders never reach the warehouse (DECISIONLOG.md)
    real_orders as (
        select * from orders
        where
            coalesce(test_flag, 'false') not in ('true', 'yes', '1')
            and coalesce(payment_method, '') not like '%bogus%'
    ),

    mapped_orders as (
        select
            _source_row_number,
            _source_file,
            store_id,
            order_id,
            {{ hash_pii("email") }} as customer_id,
            {{ adapter_iso_timestamp("created_at") }} as ordered_at,
            case
                when cancelled_at is not null or financial_status = 'voided' then 'cancelled'
                when financial_status in ('paid', 'partially_paid', 'partially_refunded') then 'completed'
                when financial_status = 'refunded' then 'refunded'
                when financial_status in ('pending', 'authorized', 'expired', 'unpaid') then 'pending'
                -- anything else reaches staging as is and is rejected as unknown_status
                else financial_status
            end as status,
            currency,
            case
                when has_unparseable_line_amount or subtotal is null then subtotal_text
                else cast(greatest(line_items_value, subtotal) as {{ dbt.type_string() }})
            end as subtotal_amount,
            case
                when has_unparseable_line_amount or subtotal is null then null
                else cast(greatest(line_items_value - subtotal, 0) as {{ dbt.type_string() }})
            end as discount_amount,
            shipping as shipping_amount,
            taxes as tax_amount,
            case
                when source_name in ('iphone', 'android') then 'mobile_app'
                when source_name = 'shopify_draft_order' then 'draft_order'
                else source_name
            end as channel,
            cast(null as {{ dbt.type_string() }}) as device,
            discount_code,
            refunded_amount,
            subtotal,
            accepts_marketing,
            billing_country,
            email
        from real_orders
    )

    {%- if name == "orders" %}

    select
        {%- for column in ["_source_row_number", "_source_file"] + spec["columns"] %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from mapped_orders

    {%- elif name == "refunds" %}

    -- the export has the refunded amount but no refund date: one refund per
    -- order, dated at the order, capped at the order's Subtotal
    select
        _source_row_number,
        _source_file,
        order_id || '-refund' as refund_id,
        store_id,
        order_id,
        ordered_at as refunded_at,
        cast(least(refunded_amount, subtotal) as {{ dbt.type_string() }}) as amount
    from mapped_orders
    where least(refunded_amount, subtotal) > 0

    {%- elif name == "customers" %}

    -- one row per e-mail: attributes of the person's first order in the export
    select
        _source_row_number,
        _source_file,
        store_id,
        customer_id,
        cast(null as {{ dbt.type_string() }}) as created_at,
        customer_id as email_hash,
        billing_country as country_code,
        case accepts_marketing when 'yes' then 'true' when 'no' then 'false' else accepts_marketing end
            as accepts_marketing,
        cast(null as {{ dbt.type_string() }}) as loyalty_member_since
    from mapped_orders
    where customer_id is not null
    qualify row_number() over (
        partition by store_id, customer_id order by ordered_at, _source_file, _source_row_number
    ) = 1

    {%- endif %}
{%- endmacro %}
