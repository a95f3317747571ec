{#
    Helpers of the staging models that are incremental by bucket
    (base_shop__orders; DECISIONLOG.md "Incremental staging by bucket").
#}

{#
    raw_order_bucket(relation): the bucket of a raw order row: its file is
    a separate column; here the raw store_id and the first 10 characters of
    ordered_at as written (the day for ISO timestamps; any other shape
    still gives a fixed bucket per value). No parsing: a bucket is a unit of
    change detection, not a calendar day. Days, not months: a status change
    in an old month re-validates that store's day (~60 rows at 1M orders
    over 3 years and 16 stores), not its month (~1,700).
#}
{% macro raw_order_bucket(relation) -%}
    coalesce(cast({{ relation }}.store_id as {{ dbt.type_string() }}), '') || '|'
    || coalesce(left(cast({{ relation }}.ordered_at as {{ dbt.type_string() }}), 10), '')
{%- endmacro %}


{# The reject_reason a published row had before the duplicate check. #}
{% macro before_duplicate_check(column, entity) -%}
    case
        when {{ column }} in ('duplicate_{{ entity }}', 'conflicting_duplicate_{{ entity }}') then null
        else {{ column }}
    end
{%- endmacro %}


{#
    Post-hook: the one-row markers of vanished buckets (null
    _source_row_number) have made delete+insert delete the bucket's
    published rows; they are deleted in turn, in the same transaction.
#}
{% macro delete_bucket_tombstones() %}
    {%- if is_incremental() %}
        delete from {{ this }} where _source_row_number is null
    {%- endif %}
{% endmacro %}
