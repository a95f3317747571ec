{#
    Every row of the model with non-null keys has a parent row in `to` with
    the same values of the key columns (a composite-key relationships test;
    foreign-key constraints are not used, see DECISIONLOG.md).
#}
{% test relationships_composite(model, to, columns, to_columns=none) %}
    {%- set parent_columns = to_columns or columns -%}
    with child as (
        select * from {{ model }}
    ),

    parent as (
        select * from {{ to }}
    )

    select child.*
    from child
    left join parent
        on
        {%- for column in columns %}
        child.{{ column }} = parent.{{ parent_columns[loop.index0] }}{{ " and" if not loop.last }}
        {%- endfor %}
    where
        {%- for column in columns %}
        child.{{ column }} is not null and
        {%- endfor %}
        parent.{{ parent_columns[0] }} is null
{% endtest %}
