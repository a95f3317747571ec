{#
    Every non-null value of the column lies in [min_value, max_value]
    (either bound may be omitted). Use `inclusive: false` for open bounds.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set gt = ">=" if inclusive else ">" -%}
    {%- set lt = "<=" if inclusive else "<" -%}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and not (
          true
          {%- if min_value is not none %} and {{ column_name }} {{ gt }} {{ min_value }}{% endif %}
          {%- if max_value is not none %} and {{ column_name }} {{ lt }} {{ max_value }}{% endif %}
      )
{% endtest %}
