{#
    The combination of `combination_of_columns` is unique over the model.
    (A small stand-in for dbt_utils.unique_combination_of_columns: the dbt
    package hub is not reachable from our build machines.)
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(", ") }},
        count(*) as copies
    from {{ model }}
    group by {{ combination_of_columns | join(", ") }}
    having count(*) > 1
{% endtest %}
