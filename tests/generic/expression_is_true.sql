{#
    Every row satisfies the boolean SQL `expression` (nulls count as false).
    Used for row identities such as E = S - churned + reactivated + new.
#}
{% test expression_is_true(model, expression, where=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if where %} and ({{ where }}){% endif %}
{% endtest %}
