{#
    The period retention formulas of docs/metrics.md, written once and used by
    fct_retention_periods (per store) and rpt_retention_by_industry (on the
    counts summed over a segment's stores — never an average of rates).
    Both are null when nobody was active at the start (S = 0). Arguments are
    SQL expressions; each is parenthesised.
#}

{# CRR = (E − N) / S #}
{% macro customer_retention_rate(customers_start, customers_end, new_customers) -%}
    case
        when {{ customers_start }} > 0
            then (({{ customers_end }}) - ({{ new_customers }})) / ({{ customers_start }})
    end
{%- endmacro %}

{# churn rate = churned / S #}
{% macro churn_rate(churned_customers, customers_start) -%}
    case
        when {{ customers_start }} > 0
            then ({{ churned_customers }}) / ({{ customers_start }})
    end
{%- endmacro %}

{# returning customer rate = returning / purchasing customers of the period
   (Shopify's admin figure); null when nobody purchased in the period #}
{% macro returning_customer_rate(returning_customers, purchasing_customers) -%}
    case
        when {{ purchasing_customers }} > 0
            then ({{ returning_customers }}) / ({{ purchasing_customers }})
    end
{%- endmacro %}
