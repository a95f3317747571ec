{#
    Models land in exactly the schema their folder configures (raw, staging,
    intermediate, marts) instead of dbt's default "<target>_<custom>".
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
