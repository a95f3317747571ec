{#
    The rejected rows of one base_shop__<table> model, in the
    common shape of stg_shop__rejects. The raw values are looked up in the
    raw view by file and row number for the rejected rows only: building
    that text for every accepted row cost about 1 s per million rows
    (BENCHMARKS.md).
#}
{% macro rejected_rows(table, key_columns) %}
    {%- set spec = raw_tables()[table] -%}
    {%- set raw_columns = [] -%}
    {%- for column in spec["columns"] -%}
        {%- do raw_columns.append("raw_row." ~ column ~ ("_hash" if column in spec.get("pii", []) else "")) -%}
    {%- endfor %}
    select
        '{{ table }}' as raw_table,
        rejected._source_file as source_file,
        rejected._source_row_number as source_row_number,
        concat_ws('|',
            {%- for key in key_columns %}
            coalesce(cast(rejected.{{ key }} as {{ dbt.type_string() }}), ''){{ "," if not loop.last }}
            {%- endfor %}
        ) as record_key,
        rejected.reject_reason,
        {{ raw_values(raw_columns) }} as raw_values
    from {{ ref('base_shop__' ~ table) }} as rejected
    left join {{ ref('raw_' ~ table) }} as raw_row
        on
            rejected._source_file = raw_row._source_file
            and rejected._source_row_number = raw_row._source_row_number
    where rejected.reject_reason is not null
{% endmacro %}
