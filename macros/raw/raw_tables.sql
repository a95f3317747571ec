{#
    The raw-file contract of docs/raw-data.md, written once.
    For each raw table: every column the warehouse reads, and which of them
    must be present in the file. Columns absent from a file but not required
    come out as null; extra columns in a file are ignored (and logged).
    "pii" columns are never selected in clear: the raw view already exposes
    only their salted hash, as <column>_hash (see hash_pii()).
#}
{% macro raw_tables() %}
    {{ return({
        "orders": {
            "columns": [
                "order_id", "store_id", "customer_id", "ordered_at", "status",
                "currency", "subtotal_amount", "discount_amount",
                "shipping_amount", "tax_amount", "channel", "device",
                "discount_code",
            ],
            "required": [
                "order_id", "store_id", "customer_id", "ordered_at", "status",
                "subtotal_amount",
            ],
            "file_required": true,
        },
        "stores": {
            "columns": [
                "store_id", "store_name", "industry_segment", "currency",
                "country_code", "timezone",
            ],
            "required": ["store_id", "industry_segment"],
            "file_required": false,
        },
        "customers": {
            "columns": [
                "store_id", "customer_id", "created_at", "email",
                "country_code", "accepts_marketing", "loyalty_member_since",
            ],
            "required": ["store_id", "customer_id"],
            "file_required": false,
            "pii": ["email"],
        },
        "refunds": {
            "columns": ["refund_id", "store_id", "order_id", "refunded_at", "amount"],
            "required": ["refund_id", "store_id", "order_id", "refunded_at", "amount"],
            "file_required": false,
        },
        "carts": {
            "columns": [
                "cart_id", "store_id", "customer_id", "created_at",
                "cart_value", "order_id",
            ],
            "required": ["cart_id", "store_id", "customer_id", "created_at", "order_id"],
            "file_required": false,
        },
        "marketing_spend": {
            "columns": ["store_id", "month", "channel", "spend_amount", "currency"],
            "required": ["store_id", "month", "spend_amount"],
            "file_required": false,
        },
        "fx_rates": {
            "columns": ["currency", "month", "rate_to_usd"],
            "required": ["currency", "month", "rate_to_usd"],
            "file_required": false,
        },
    }) }}
{% endmacro %}


{# Folder holding the raw files (env var RAW_DATA_DIR); relative paths resolve from the project root. #}
{% macro raw_data_dir() %}
    {{ return(env_var('RAW_DATA_DIR', 'data/sample').rstrip('/')) }}
{% endmacro %}
