{#
    as_of_date(): the analysis date as a SQL date literal.

    var('as_of_date') when set (dbt build --vars '{as_of_date: 2024-06-30}'),
    else the date of the latest accepted order in the raw data. Orders after
    it are ignored by every metric; tenure, recency, churn risk and
    predictions are measured at its end.
#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', none) -%}
    {%- if configured -%}
        {{- return("date '" ~ (configured | string | trim) ~ "'") -}}
    {%- endif -%}
    {#- ref() outside the `if execute` so that dbt records the dependency -#}
    {%- set orders = ref('stg_shop__orders') -%}
    {%- if execute -%}
        {#- computed once per invocation: every model that calls this runs after
            stg_shop__orders (the ref above), which the invocation builds at
            most once; kept in the invocation's graph dict, keyed by the
            relation (a unit test's fixture is another relation) -#}
        {%- set cache_key = 'retention.as_of_date ' ~ invocation_id ~ ' ' ~ orders -%}
        {%- if cache_key in graph -%}
            {{- return(graph[cache_key]) -}}
        {%- endif -%}
        {%- set existing = adapter.get_relation(
            database=orders.database, schema=orders.schema, identifier=orders.identifier
        ) -%}
        {%- if existing is not none -%}
            {%- set latest = run_query("select max(order_date) from " ~ orders).columns[0].values()[0] -%}
            {%- if latest is not none -%}
                {%- set literal = "date '" ~ latest ~ "'" -%}
                {%- do graph.update({cache_key: literal}) -%}
                {{- return(literal) -}}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{- return("current_date") -}}
{%- endmacro %}


{#
    as_of_month(): the first day of as_of_date's month, as a SQL date literal.
    A model that needs only the month renders the same SQL on every day of
    it, so a build that moves as_of_date within the month does not rebuild
    it (a node's input version hashes its compiled SQL:
    macros/build_log/build_state.sql).
#}
{% macro as_of_month() -%}
    {%- set day = as_of_date() -%}
    {%- set parts = day[6:-1].split('-') if day.startswith("date '") else [] -%}
    {%- if parts | length == 3 and parts[0].isdigit() and parts[1].isdigit() -%}
        {{- return("date '%04d-%02d-01'" | format(parts[0] | int, parts[1] | int)) -}}
    {%- endif -%}
    {{- return("cast(" ~ dbt.date_trunc('month', day) ~ " as date)") -}}
{%- endmacro %}
