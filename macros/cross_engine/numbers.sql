{#
    Arithmetic that the engines type differently.

    DuckDB divides DECIMALs (and integers) in DOUBLE; Spark keeps DECIMAL
    with at most 6 decimals, which drifts from DuckDB's double by up to
    5e-7 and rounds differently afterwards. divide() makes Spark divide in
    double too. round_double() is DuckDB's round of a double
    (round-half-away-from-zero of value x 10^places), which Spark's round
    does not match on values such as 1.005 (Spark rounds the shortest
    decimal text, DuckDB the binary value).
#}

{# The integer-division operator, written between its operands (same
   precedence as * and / on both engines; operands non-negative here). #}
{% macro integer_division_operator() -%}
    {{- return(adapter.dispatch('integer_division_operator', 'retention')()) -}}
{%- endmacro %}

{% macro default__integer_division_operator() -%}
    //
{%- endmacro %}

{% macro spark__integer_division_operator() -%}
    div
{%- endmacro %}


{# numerator / denominator computed in double (DuckDB's behaviour). #}
{% macro divide(numerator, denominator) -%}
    {{- return(adapter.dispatch('divide', 'retention')(numerator, denominator)) -}}
{%- endmacro %}

{% macro default__divide(numerator, denominator) -%}
    {{ numerator }} / {{ denominator }}
{%- endmacro %}

{% macro spark__divide(numerator, denominator) -%}
    cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}


{# avg() of a DECIMAL(p, scale) as a double, computed as DuckDB does:
   double(sum of the unscaled integers) / (count x 10^scale). #}
{% macro avg_as_double(value, scale=2) -%}
    {{- return(adapter.dispatch('avg_as_double', 'retention')(value, scale)) -}}
{%- endmacro %}

{% macro default__avg_as_double(value, scale) -%}
    avg({{ value }})
{%- endmacro %}

{% macro spark__avg_as_double(value, scale) -%}
    {{ mean_as_double('sum(' ~ value ~ ')', 'count(' ~ value ~ ')', scale) }}
{%- endmacro %}


{# total / count for a DECIMAL(p, scale) total, as a double computed the way
   avg_as_double averages: double(unscaled total) / (count x 10^scale), so
   a mean kept as a running total and a count equals the avg() of the same
   values. #}
{% macro mean_as_double(total, count, scale=2) -%}
    {%- set factor = 10 ** (scale | int) -%}
    cast(cast({{ total }} * {{ factor }} as bigint) as double)
    / cast(({{ count }}) * {{ factor }} as double)
{%- endmacro %}


{# round(double, places) with DuckDB's rule. #}
{% macro round_double(value, places) -%}
    {{- return(adapter.dispatch('round_double', 'retention')(value, places)) -}}
{%- endmacro %}

{% macro default__round_double(value, places) -%}
    round({{ value }}, {{ places }})
{%- endmacro %}

{% macro spark__round_double(value, places) -%}
    {%- set factor = 10 ** (places | int) -%}
    round(cast({{ value }} as double) * {{ factor }}, 0) / {{ factor }}
{%- endmacro %}


{# A double money amount rounded to cents (round_double) as decimal(18, 2):
   how the marts show a model's double (CLV, expected spend, CAC). On DuckDB
   the round changes nothing (the cast rounds half away from zero on
   value x 100 too); Spark's cast alone would round the double's shortest
   decimal text. #}
{% macro double_to_cents(value) -%}
    cast({{ round_double(value, 2) }} as decimal(18, 2))
{%- endmacro %}


{# true for a number that is neither NaN nor infinite; null stays null. #}
{% macro is_finite(value) -%}
    {{- return(adapter.dispatch('is_finite', 'retention')(value)) -}}
{%- endmacro %}

{% macro default__is_finite(value) -%}
    isfinite({{ value }})
{%- endmacro %}

{% macro spark__is_finite(value) -%}
    (not isnan({{ value }}) and abs({{ value }}) != double('infinity'))
{%- endmacro %}
