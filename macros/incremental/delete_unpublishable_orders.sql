{#
    delete_unpublishable_orders(): post-hook of the incremental fct_orders.

    An incremental run inserts the changed orders; this removes the published
    orders that are no longer accepted, or now dated after as_of_date (an
    order dropped from the export, turned invalid, or an earlier as_of_date).
    Without it those rows would survive until the next full refresh.
#}
{% macro delete_unpublishable_orders() %}
    {%- if is_incremental() %}
        delete from {{ this }} as published
        where not exists (
            select 1
            from {{ ref('stg_shop__orders') }} as orders
            where
                orders.store_id = published.store_id
                and orders.order_id = published.order_id
                and orders.order_date <= {{ as_of_date() }}
        )
    {%- endif %}
{% endmacro %}
