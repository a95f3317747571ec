{{ config(materialized='table') }}

{#
    Every raw customer row with its reject_reason (null = accepted). The
    e-mail arrives already hashed from the raw layer: no clear-text e-mail
    reaches any relation, rejects included.
#}

{%- set raw_types = column_types(ref('raw_customers')) %}

with source as (
    select * from {{ ref('raw_customers') }}
),

stores as (
    select * from {{ ref('stg_shop__stores') }}
),

cleaned as (
    select
        source.*,
        {{ clean_text('source.store_id') }} as clean_store_id,
        stores.timezone as store_timezone
    from source
    left join stores
        on {{ clean_text('source.store_id') }} = stores.store_id
),

typed as (
    select
        _source_file,
        _source_row_number,
        {{ has_wrong_field_count(raw_types) }} as has_wrong_field_count,
        clean_store_id as store_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ parse_timestamp('created_at', raw_types, 'store_timezone') }} as created_at,
        email_hash,
        upper({{ clean_text('country_code') }}) as country_code,
        {{ parse_boolean('accepts_marketing') }} as accepts_marketing,
        {{ parse_timestamp('loyalty_member_since', raw_types, 'store_timezone') }} as loyalty_member_since,
        (
            {{ failed_to_parse('created_at', parse_timestamp('created_at', raw_types, 'store_timezone'), raw_types) }}
            or {{ failed_to_parse(
                'loyalty_member_since', parse_timestamp('loyalty_member_since', raw_types, 'store_timezone'), raw_types
            ) }}
        ) as has_unparseable_timestamp,
        {{ failed_to_parse('accepts_marketing', parse_boolean('accepts_marketing'), raw_types) }}
            as has_unparseable_boolean
    from cleaned
),

checked as (
    select
        *,
        case
            when has_wrong_field_count then 'wrong_field_count'
            when store_id is null or customer_id is null then 'missing_key'
            when has_unparseable_timestamp then 'unparseable_timestamp'
            when {{ timestamp_out_of_range('created_at') }}
                or {{ timestamp_out_of_range('loyalty_member_since') }}
                then 'out_of_range_timestamp'
            when has_unparseable_boolean then 'invalid_value'
        end as reject_reason
    from typed
),

deduplicated as (
    {{ flag_duplicates(
        'checked', ['store_id', 'customer_id'], 'customer',
        ['created_at', 'email_hash', 'country_code', 'accepts_marketing', 'loyalty_member_since']
    ) }}
),

final as (
    select
        store_id,
        customer_id,
        created_at,
        email_hash,
        country_code,
        accepts_marketing,
        loyalty_member_since,
        reject_reason,
        _source_file,
        _source_row_number
    from deduplicated
)

select * from final
