{#
    A store's industry_segment code that the industry seed does not list is
    kept as it is in every mart, with null benchmarks: a warning names the
    codes (add them to seeds/industry_segments.csv to get benchmarks).
#}
{{ config(severity='warn') }}

{%- set stores = ref('stg_shop__stores') %}
{%- set segments = ref('industry_segments') %}
{%- set query %}
    select distinct stores.industry_segment
    from {{ stores }} as stores
    left join {{ segments }} as segments
        on stores.industry_segment = segments.industry_segment
    where segments.industry_segment is null
{%- endset %}
{%- if relation_exists(stores) and relation_exists(segments) %}
    {%- set codes = run_query(query).columns[0].values() | list %}
    {%- if codes %}
        {{ log(
            "Industry segment code(s) not in seeds/industry_segments.csv"
            ~ " (kept as given, benchmarks null): " ~ (codes | sort | join(", ")),
            info=true
        ) }}
    {%- endif %}
{%- endif %}

{{ query }}
