{#
    RAW_FORMAT=fivetran_shopify: the Fivetran Shopify connector's tables
    (the ones fivetran/dbt_shopify_source reads), turned into the raw tables
    of docs/raw-data.md. Read from Parquet files named by table,
    RAW_DATA_DIR/<store_id>/<table>.parquet, or, when the env var
    RAW_DATABASE names a DuckDB file, from its tables: one schema per store,
    named by its store_id (the connector's destination schema), attached
    read-only (macros/raw/adapters/raw_database.sql). Only `order` is required; `order_line`,
    `refund`, `order_line_refund`, `order_adjustment`, `customer`, `shop`
    and `abandoned_checkout` are read when present. Mapping decisions:
    DECISIONLOG.md "Store-export adapters" and README "Bring your store".

    - rows with _fivetran_deleted = true and orders with test = true are left
      out (and the refunds of those orders);
    - ordered_at = processed_at (the date Shopify's reports use; an imported
      order keeps its original date there), else created_at; Fivetran's
      timestamps are UTC;
    - amounts in the shop's currency (`currency`), not the presentment
      currency the customer saw: subtotal_amount = total_line_items_price
      (before discounts; sum of order_line price x quantity when absent),
      discount_amount = total_discounts, tax = total_tax, shipping =
      total_shipping_price_set.shop_money.amount;
    - a refund has no amount of its own: amount = sum of its
      order_line_refund.subtotal (tax excluded) minus its order_adjustment
      amounts other than shipping refunds (refund discrepancies are negative
      when more was refunded); dated processed_at, else created_at;
      refunds of shipping only (amount 0) are not emitted;
    - customer_id = customer_id (var customer_identity = email: the salted
      hash of the order's e-mail, else of the customer's, else customer_id);
    - channel from source_name, device from the browser's user agent;
    - abandoned_checkout -> carts (order_id from order.checkout_id).
#}

{% macro fivetran_shopify_raw_table(name) %}
    {%- set spec = raw_tables()[name] -%}
    {%- if not execute -%}
        {{ return(empty_raw_relation(spec)) }}
    {%- endif -%}
    {%- if name == "marketing_spend" -%}
        {# not in the connector: the optional contract file beside the store folders #}
        {{ return(select_raw_file(name)) }}
    {%- endif -%}
    {%- set order_files = fivetran_sources("order") -%}
    {%- if order_files | length == 0 -%}
        {%- if raw_database() -%}
            {{ exceptions.raise_compiler_error(
                "RAW_FORMAT=fivetran_shopify: no schema of RAW_DATABASE='" ~ raw_database()
                ~ "' has an `order` table. Each store's Fivetran Shopify tables must be in a schema"
                ~ " named by its store_id (schemas found: "
                ~ (raw_database_schemas() | join(", ")) ~ ")."
            ) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "RAW_FORMAT=fivetran_shopify: no order.parquet found. Put each store's Fivetran Shopify"
            ~ " tables as Parquet files named by table in RAW_DATA_DIR/<store_id>/ (RAW_DATA_DIR='"
            ~ raw_data_dir() ~ "'), or set RAW_DATABASE to the DuckDB file holding them."
        ) }}
    {%- endif -%}
    {%- set order_columns = adapter_checked_columns(
        order_files,
        ["id", "created_at", "financial_status", "currency", "total_discounts"],
        "Fivetran Shopify order", fivetran_source_kind()
    ) -%}
    {%- set tables = {
        "order_line": ["order_id", "price", "quantity"],
        "refund": ["id", "order_id", "created_at"],
        "order_line_refund": ["refund_id", "subtotal"],
        "order_adjustment": ["refund_id", "amount", "kind"],
        "customer": ["id", "email"],
        "shop": ["currency"],
        "abandoned_checkout": ["id", "customer_id", "created_at"],
    } -%}
    {%- set files = {} -%}
    {%- set columns = {} -%}
    {%- for table, required in tables.items() -%}
        {%- set found = fivetran_sources(table) -%}
        {%- do files.update({table: found}) -%}
        {%- do columns.update({table: adapter_checked_columns(found, required, "Fivetran Shopify " ~ table, fivetran_source_kind())}) -%}
    {%- endfor -%}
    {%- set by_email = customer_identity() == "email" -%}

    {%- if name == "stores" -%}
        {%- if files["shop"] -%}
            {%- set shop = columns["shop"] -%}
            {%- set shop_sql -%}
                select
                    {{ adapter_store_id("filename") }} as store_id,
                    {{ adapter_column(shop, "name") }} as store_name,
                    upper({{ adapter_column(shop, "currency") }}) as currency,
                    upper({{ adapter_column(shop, "country_code") }}) as country_code,
                    {{ adapter_column(shop, "iana_timezone") }} as timezone,
                    filename as _source_file,
                    file_row_number + 1 as _source_row_number
                from {{ fivetran_reader(files["shop"]) }}
                where not coalesce({{ adapter_typed_column(shop, "_fivetran_deleted", "boolean") }}, false)
                qualify row_number() over (partition by filename order by file_row_number) = 1
            {%- endset -%}
            {{ return(adapter_stores(adapter_folder_stores(order_files), shop_sql)) }}
        {%- endif -%}
        {{ return(adapter_stores(adapter_folder_stores(order_files))) }}
    {%- endif -%}
    {%- set o = order_columns %}

    with source_orders as (
        select
            filename as _source_file,
            file_row_number + 1 as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            cast(id as {{ dbt.type_string() }}) as order_id,
            cast({{ adapter_typed_column(o, "customer_id", "bigint") }} as {{ dbt.type_string() }}) as shopify_customer_id,
            {{ adapter_column(o, "email") }} as email,
            coalesce({{ adapter_typed_column(o, "processed_at", "timestamp") }}, created_at) as ordered_at,
            {{ adapter_typed_column(o, "cancelled_at", "timestamp") }} as cancelled_at,
            lower(financial_status) as financial_status,
            upper(currency) as currency,
            {{ adapter_typed_column(o, "total_line_items_price", "double") }} as total_line_items_price,
            total_discounts,
            {{ adapter_typed_column(o, "total_tax", "double") }} as total_tax,
            {%- if "total_shipping_price_set" in o %}
            json_extract_string(total_shipping_price_set, '$.shop_money.amount') as shipping_amount,
            {%- else %}
            cast(null as {{ dbt.type_string() }}) as shipping_amount,
            {%- endif %}
            lower({{ adapter_column(o, "source_name") }}) as source_name,
            {{ adapter_column(o, "client_details_user_agent") }} as user_agent,
            cast({{ adapter_typed_column(o, "checkout_id", "bigint") }} as {{ dbt.type_string() }}) as checkout_id,
            coalesce({{ adapter_typed_column(o, "test", "boolean") }}, false) as is_test,
            coalesce({{ adapter_typed_column(o, "_fivetran_deleted", "boolean") }}, false) as is_deleted
        from {{ fivetran_reader(order_files) }}
    ),

    -- test orders and deleted rows never reach the warehouse (DECISIONLOG.md)
    real_orders as (
        select * from source_orders
        where not is_test and not is_deleted
    ),

    order_lines as (
        {%- if files["order_line"] %}
        select
            {{ adapter_store_id("filename") }} as store_id,
            cast(order_id as {{ dbt.type_string() }}) as order_id,
            sum(price * quantity) as line_items_value
        from {{ fivetran_reader(files["order_line"]) }}
        where not coalesce({{ adapter_typed_column(columns["order_line"], "_fivetran_deleted", "boolean") }}, false)
        group by 1, 2
        {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as order_id,
            cast(null as double) as line_items_value
        where false
        {%- endif %}
    ),

    customers_source as (
        {%- if files["customer"] %}
        {%- set c = columns["customer"] %}
        select
            filename as _source_file,
            file_row_number + 1 as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            cast(id as {{ dbt.type_string() }}) as shopify_customer_id,
            {{ adapter_column(c, "email") }} as email,
            {{ adapter_typed_column(c, "created_at", "timestamp") }} as created_at,
            cast({{ adapter_typed_column(c, "accepts_marketing", "boolean") }} as {{ dbt.type_string() }})
                as accepts_marketing
        from {{ fivetran_reader(files["customer"]) }}
        where not coalesce({{ adapter_typed_column(c, "_fivetran_deleted", "boolean") }}, false)
        {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as _source_file,
            cast(null as bigint) as _source_row_number,
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as shopify_customer_id,
            cast(null as {{ dbt.type_string() }}) as email,
            cast(null as timestamp) as created_at,
            cast(null as {{ dbt.type_string() }}) as accepts_marketing
        where false
        {%- endif %}
    ),

    -- the customer key of a Shopify customer id (var customer_identity)
    customer_keys as (
        select
            store_id,
            shopify_customer_id,
            {%- if by_email %}
            coalesce(min({{ hash_pii("email") }}), shopify_customer_id) as customer_key
            {%- else %}
            shopify_customer_id as customer_key
            {%- endif %}
        from customers_source
        group by 1, 2
    ),

    mapped_orders as (
        select
            real_orders._source_row_number,
            real_orders._source_file,
            real_orders.store_id,
            real_orders.order_id,
            {%- if by_email %}
            coalesce(
                {{ hash_pii("real_orders.email") }}, customer_keys.customer_key, real_orders.shopify_customer_id
            ) as customer_id,
            {%- else %}
            real_orders.shopify_customer_id as customer_id,
            {%- endif %}
            real_orders.ordered_at,
            case
                when real_orders.cancelled_at is not null or real_orders.financial_status = 'voided'
                    then 'cancelled'
                when real_orders.financial_status in ('paid', 'partially_paid', 'partially_refunded')
                    then 'completed'
                when real_orders.financial_status = 'refunded' then 'refunded'
                when real_orders.financial_status in ('pending', 'authorized', 'expired', 'unpaid')
                    then 'pending'
                else real_orders.financial_status
            end as status,
            real_orders.currency,
            cast(coalesce(real_orders.total_line_items_price, order_lines.line_items_value) as decimal(18, 2))
                as subtotal_amount,
            cast(real_orders.total_discounts as decimal(18, 2)) as discount_amount,
            try_cast(real_orders.shipping_amount as decimal(18, 2)) as shipping_amount,
            cast(real_orders.total_tax as decimal(18, 2)) as tax_amount,
            case
                when real_orders.source_name in ('iphone', 'android') then 'mobile_app'
                when real_orders.source_name = 'shopify_draft_order' then 'draft_order'
                else real_orders.source_name
            end as channel,
            case
                when real_orders.user_agent is null then null
                when regexp_matches(real_orders.user_agent, 'iPad|Tablet') then 'tablet'
                when regexp_matches(real_orders.user_agent, 'Mobi|iPhone|Android') then 'mobile'
                else 'desktop'
            end as device,
            cast(null as {{ dbt.type_string() }}) as discount_code,
            real_orders.checkout_id
        from real_orders
        left join order_lines
            on
                real_orders.store_id = order_lines.store_id
                and real_orders.order_id = order_lines.order_id
        left join customer_keys
            on
                real_orders.store_id = customer_keys.store_id
                and real_orders.shopify_customer_id = customer_keys.shopify_customer_id
    )

    {%- if name == "orders" %}

    select
        {%- for column in ["_source_row_number", "_source_file"] + spec["columns"] %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from mapped_orders

    {%- elif name == "refunds" %}
    {%- if not files["refund"] %}
    {{ return(empty_raw_relation(spec)) }}
    {%- endif %}
    {%- set r = columns["refund"] %},

    refund_lines as (
        {%- if files["order_line_refund"] %}
        select
            {{ adapter_store_id("filename") }} as store_id,
            cast(refund_id as {{ dbt.type_string() }}) as refund_id,
            sum(subtotal) as lines_subtotal
        from {{ fivetran_reader(files["order_line_refund"]) }}
        where not coalesce(
            {{ adapter_typed_column(columns["order_line_refund"], "_fivetran_deleted", "boolean") }}, false
        )
        group by 1, 2
        {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as refund_id,
            cast(null as double) as lines_subtotal
        where false
        {%- endif %}
    ),

    refund_adjustments as (
        {%- if files["order_adjustment"] %}
        select
            {{ adapter_store_id("filename") }} as store_id,
            cast(refund_id as {{ dbt.type_string() }}) as refund_id,
            -- shipping refunds are not net revenue; discrepancies are
            -- negative when more was refunded than the lines
            sum(case when lower(kind) = 'shipping_refund' then 0 else amount end) as adjustments
        from {{ fivetran_reader(files["order_adjustment"]) }}
        where not coalesce(
            {{ adapter_typed_column(columns["order_adjustment"], "_fivetran_deleted", "boolean") }}, false
        )
        group by 1, 2
        {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as store_id,
            cast(null as {{ dbt.type_string() }}) as refund_id,
            cast(null as double) as adjustments
        where false
        {%- endif %}
    ),

    refunds as (
        select
            filename as _source_file,
            file_row_number + 1 as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            cast(id as {{ dbt.type_string() }}) as refund_id,
            cast(order_id as {{ dbt.type_string() }}) as order_id,
            coalesce({{ adapter_typed_column(r, "processed_at", "timestamp") }}, created_at) as refunded_at
        from {{ fivetran_reader(files["refund"]) }}
        where not coalesce({{ adapter_typed_column(r, "_fivetran_deleted", "boolean") }}, false)
    ),

    final as (
        select
            refunds._source_row_number,
            refunds._source_file,
            refunds.refund_id,
            refunds.store_id,
            refunds.order_id,
            refunds.refunded_at,
            cast(
                coalesce(refund_lines.lines_subtotal, 0) - coalesce(refund_adjustments.adjustments, 0)
                as decimal(18, 2)
            ) as amount
        from refunds
        -- refunds of test and deleted orders go with their order
        inner join real_orders
            on
                refunds.store_id = real_orders.store_id
                and refunds.order_id = real_orders.order_id
        left join refund_lines
            on
                refunds.store_id = refund_lines.store_id
                and refunds.refund_id = refund_lines.refund_id
        left join refund_adjustments
            on
                refunds.store_id = refund_adjustments.store_id
                and refunds.refund_id = refund_adjustments.refund_id
    )

    select * from final
    -- a refund of shipping only refunds no net revenue
    where amount != 0

    {%- elif name == "customers" %}

    select
        customers_source._source_row_number,
        customers_source._source_file,
        customers_source.store_id,
        {%- if by_email %}
        -- the first customer record of an e-mail carries the person's
        -- profile; later records of the same e-mail keep their Shopify id
        -- (no order points at it any more)
        case
            when row_number() over (
                partition by customers_source.store_id, customer_keys.customer_key
                order by customers_source.created_at, customers_source._source_row_number
            ) = 1
                then customer_keys.customer_key
            else customers_source.shopify_customer_id
        end as customer_id,
        {%- else %}
        customers_source.shopify_customer_id as customer_id,
        {%- endif %}
        customers_source.created_at,
        {{ hash_pii("customers_source.email") }} as email_hash,
        cast(null as {{ dbt.type_string() }}) as country_code,
        customers_source.accepts_marketing,
        cast(null as timestamp) as loyalty_member_since
    from customers_source
    left join customer_keys
        on
            customers_source.store_id = customer_keys.store_id
            and customers_source.shopify_customer_id = customer_keys.shopify_customer_id

    {%- elif name == "carts" %}
    {%- if not files["abandoned_checkout"] %}
    {{ return(empty_raw_relation(spec)) }}
    {%- endif %}
    {%- set a = columns["abandoned_checkout"] %},

    checkouts as (
        select
            filename as _source_file,
            file_row_number + 1 as _source_row_number,
            {{ adapter_store_id("filename") }} as store_id,
            cast(id as {{ dbt.type_string() }}) as cart_id,
            cast(customer_id as {{ dbt.type_string() }}) as shopify_customer_id,
            {{ adapter_column(a, "email") }} as email,
            created_at,
            {{ adapter_typed_column(a, "completed_at", "timestamp") }} as completed_at,
            coalesce(
                {{ adapter_typed_column(a, "subtotal_price", "double") }},
                {{ adapter_typed_column(a, "total_price", "double") }}
            ) as cart_value
        from {{ fivetran_reader(files["abandoned_checkout"]) }}
        where not coalesce({{ adapter_typed_column(a, "_fivetran_deleted", "boolean") }}, false)
    )

    select
        checkouts._source_row_number,
        checkouts._source_file,
        checkouts.cart_id,
        checkouts.store_id,
        {%- if by_email %}
        coalesce({{ hash_pii("checkouts.email") }}, customer_keys.customer_key, checkouts.shopify_customer_id)
            as customer_id,
        {%- else %}
        checkouts.shopify_customer_id as customer_id,
        {%- endif %}
        checkouts.created_at,
        cast(checkouts.cart_value as decimal(18, 2)) as cart_value,
        -- a completed checkout whose order is not in the export keeps a
        -- reference that staging rejects as unknown_order (not abandoned)
        case
            when mapped_orders.order_id is not null then mapped_orders.order_id
            when checkouts.completed_at is not null then 'checkout:' || checkouts.cart_id
        end as order_id
    from checkouts
    left join mapped_orders
        on
            checkouts.store_id = mapped_orders.store_id
            and checkouts.cart_id = mapped_orders.checkout_id
    left join customer_keys
        on
            checkouts.store_id = customer_keys.store_id
            and checkouts.shopify_customer_id = customer_keys.shopify_customer_id

    {%- endif %}
{%- endmacro %}


{# Where the connector's tables are: "database" (RAW_DATABASE set) or "parquet". #}
{% macro fivetran_source_kind() -%}
    {{ return("database" if raw_database() else "parquet") }}
{%- endmacro %}


{# The sources of one connector table, one per store: Parquet files
   RAW_DATA_DIR/<store_id>/<table>.parquet, or the tables <store_id>.<table>
   of RAW_DATABASE (named like files: <RAW_DATABASE>/<store_id>/<table>). #}
{% macro fivetran_sources(table) -%}
    {%- if raw_database() -%}
        {{ return(raw_database_tables(table)) }}
    {%- endif -%}
    {{ return(adapter_store_files([], [table ~ ".parquet"])) }}
{%- endmacro %}


{# The reader of the Fivetran adapter: columns matched by name across
   stores, the source (file path, or <RAW_DATABASE>/<schema>/<table>) in
   `filename`, the row's position in it in `file_row_number`. #}
{% macro fivetran_reader(files) -%}
    {%- if raw_database() -%}
        {{ raw_database_reader(files) }}
    {%- else -%}
        read_parquet({{ adapter_file_list(files) }}, union_by_name = true, filename = true, file_row_number = true)
    {%- endif -%}
{%- endmacro %}
