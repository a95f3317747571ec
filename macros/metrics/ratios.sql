{#
    safe_ratio(numerator, denominator): numerator / denominator as a double,
    null when the denominator is 0 or null (a rate of nobody is unknown, not
    0). The one division behind every share, rate and per-customer amount of
    the marts. Arguments are SQL expressions; each is parenthesised. The
    division itself is divide() (macros/cross_engine/numbers.sql): DuckDB
    divides in double, Spark is made to as well.
#}
{% macro safe_ratio(numerator, denominator) -%}
    {{ divide('(' ~ numerator ~ ')', 'nullif(' ~ denominator ~ ', 0)') }}
{%- endmacro %}
