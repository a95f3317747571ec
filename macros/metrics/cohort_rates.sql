{#
    The cohort formulas of docs/metrics.md ("Acquisition and cohorts"),
    written once and used by fct_cohort_retention (per store) and
    rpt_cohort_retention_by_industry (on the counts and money summed over a
    segment's stores: a rate of sums, never an average of rates). All are
    doubles; null when the cohort is empty. Arguments are SQL expressions.
#}

{# retention rate at offset k = cohort customers with a purchase in month c + k / cohort size #}
{% macro cohort_retention_rate(active_customers, cohort_size) -%}
    {{ safe_ratio(active_customers, cohort_size) }}
{%- endmacro %}

{# repeat purchase rate at offset k = cohort customers whose second purchase fell in offsets 0..k / cohort size #}
{% macro repeat_purchase_rate(repeat_customers, cohort_size) -%}
    {{ safe_ratio(repeat_customers, cohort_size) }}
{%- endmacro %}

{# cumulative net revenue per customer at offset k = net revenue of offsets 0..k / cohort size #}
{% macro net_revenue_per_customer(net_revenue, customers) -%}
    {{ safe_ratio(net_revenue, customers) }}
{%- endmacro %}

{# net revenue retention at offset k = net revenue of offset k / net revenue of offset 0;
   null unless the acquisition month's net revenue is positive #}
{% macro net_revenue_retention(net_revenue, acquisition_net_revenue) -%}
    case
        when {{ acquisition_net_revenue }} > 0
            then {{ divide('(' ~ net_revenue ~ ')', '(' ~ acquisition_net_revenue ~ ')') }}
    end
{%- endmacro %}
