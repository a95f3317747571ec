{#
    `unclassified`: the industry segment of a store that has orders but no
    accepted row in the stores table, or whose row leaves the segment blank
    (docs/raw-data.md). This file is the label's only home: models
    call store_segment(); a store's own code is never replaced by it.
#}
{% macro unclassified_segment() -%}
    'unclassified'
{%- endmacro %}

{# The store's segment code (a column of stg_shop__stores after a left join), else unclassified. #}
{% macro store_segment(column) -%}
    coalesce({{ column }}, {{ unclassified_segment() }})
{%- endmacro %}
