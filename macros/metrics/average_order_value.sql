{#
    average_order_value(net_revenue, purchases, to_cents=true): AOV =
    net revenue / purchases (docs/metrics.md), null without
    purchases. Rounded to cents (a double; the marts cast it to
    decimal(18, 2)) unless to_cents=false: the simple CLV multiplies the
    exact value. Used by dim_customers, int_customers_segmented (is_high_aov
    ranks the AOV dim_customers shows), rpt_aov_by_device_channel and
    int_customers_clv_predicted.
#}
{% macro average_order_value(net_revenue, purchases, to_cents=true) -%}
    {%- set aov = safe_ratio(net_revenue, purchases) -%}
    {%- if to_cents -%}
        {{ round_double(aov, 2) }}
    {%- else -%}
        {{ aov }}
    {%- endif -%}
{%- endmacro %}
