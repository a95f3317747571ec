{#
    select_raw_table(name): the body of every raw-layer model.

    Dispatches on the env var RAW_FORMAT (docs/configuration.md):
    - contract          -> select_raw_file(name): RAW_DATA_DIR holds the raw
                           files of docs/raw-data.md;
    - shopify_csv       -> shopify_csv_raw_table(name)      (macros/raw/adapters/)
    - woocommerce_csv   -> woocommerce_csv_raw_table(name)
    - fivetran_shopify  -> fivetran_shopify_raw_table(name)
    Every branch returns exactly the contract columns of raw_tables() plus
    _source_file and _source_row_number, so staging, rejects and marts do
    not know which format the data came in.

    The dbt var customer_identity (customer_id | email) is applied here too:
    with `email`, the customer key of orders, customers and carts becomes the
    salted hash of the normalised e-mail (see customer_identity_raw_table).
#}
{% macro select_raw_table(name) %}
    {%- set raw_format = raw_format() -%}
    {%- set identity = customer_identity() -%}
    {%- if raw_format == "contract" -%}
        {%- if identity == "email" and name in ("orders", "customers", "carts") -%}
            {{ return(customer_identity_raw_table(name)) }}
        {%- endif -%}
        {{ return(select_raw_file(name)) }}
    {%- elif raw_format == "shopify_csv" -%}
        {{ return(shopify_csv_raw_table(name)) }}
    {%- elif raw_format == "woocommerce_csv" -%}
        {{ return(woocommerce_csv_raw_table(name)) }}
    {%- elif raw_format == "fivetran_shopify" -%}
        {{ return(fivetran_shopify_raw_table(name)) }}
    {%- endif -%}
{%- endmacro %}


{# The env var RAW_FORMAT, checked. #}
{% macro raw_format() %}
    {%- set value = env_var("RAW_FORMAT", "contract") | trim | lower -%}
    {%- set known = ["contract", "shopify_csv", "woocommerce_csv", "fivetran_shopify"] -%}
    {%- if value == "" -%}
        {{ return("contract") }}
    {%- endif -%}
    {%- if value not in known -%}
        {{ exceptions.raise_compiler_error(
            "RAW_FORMAT='" ~ value ~ "' is not a known raw format; use one of: " ~ (known | join(", "))
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{# The dbt var customer_identity, checked: customer_id (default) or email. #}
{% macro customer_identity() %}
    {%- set value = var("customer_identity", "customer_id") | string | trim | lower -%}
    {%- if value not in ["customer_id", "email"] -%}
        {{ exceptions.raise_compiler_error(
            "var customer_identity='" ~ value ~ "' is not known; use customer_id or email"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}


{#
    Contract format with customer_identity = email. The contract's orders and
    carts carry no e-mail: their customer_id is looked up in the customers
    file by (store_id, customer_id) and replaced by that customer's salted
    e-mail hash; a customer_id with no customers row, or a customers row
    without an e-mail, keeps its customer_id. In the customers file, the
    first row of each e-mail (in file order) is re-keyed to the hash and
    carries the person's profile; later rows of the same e-mail keep their
    own customer_id (no order points at it any more, so they describe no
    customer of the marts and nothing is rejected). Raw rows stay one per
    file row: counts reconcile exactly as in customer_id mode.
#}
{% macro customer_identity_raw_table(name) %}
    with file_rows as (
        {{ select_raw_file(name) }}
    ),

    customers_file as (
        {{ select_raw_file("customers") }}
    ),

    email_keys as (
        select
            trim(cast(store_id as {{ dbt.type_string() }})) as store_id,
            trim(cast(customer_id as {{ dbt.type_string() }})) as customer_id,
            min(email_hash) as email_hash
        from customers_file
        where email_hash is not null
        group by 1, 2
    )

    select
        {%- for column in ["_source_row_number", "_source_file"] + raw_tables()[name]["columns"] %}
        {%- if column == "customer_id" and name == "customers" %}
        case
            when file_rows.email_hash is not null
                and row_number() over (
                    partition by file_rows.store_id, file_rows.email_hash
                    order by file_rows._source_row_number
                ) = 1
                then file_rows.email_hash
            else cast(file_rows.customer_id as {{ dbt.type_string() }})
        end as customer_id
        {%- elif column == "customer_id" %}
        coalesce(email_keys.email_hash, cast(file_rows.customer_id as {{ dbt.type_string() }})) as customer_id
        {%- elif column in raw_tables()[name].get("pii", []) %}
        file_rows.{{ column }}_hash
        {%- else %}
        file_rows.{{ column }}
        {%- endif -%}
        {{ "," if not loop.last }}
        {%- endfor %}
    from file_rows
    left join email_keys
        on
            trim(cast(file_rows.store_id as {{ dbt.type_string() }})) = email_keys.store_id
            and trim(cast(file_rows.customer_id as {{ dbt.type_string() }})) = email_keys.customer_id
{%- endmacro %}
