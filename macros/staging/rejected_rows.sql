{#
    The rejected rows of one stg_shop__<table>_validated model, in the
    common shape of stg_shop__rejects.
#}
{% macro rejected_rows(table, key_columns) %}
    select
        '{{ table }}' as raw_table,
        _source_file as source_file,
        _source_row_number as source_row_number,
        concat_ws('|',
            {%- for key in key_columns %}
            coalesce(cast({{ key }} as {{ type_text() }}), ''){{ "," if not loop.last }}
            {%- endfor %}
        ) as record_key,
        reject_reason,
        _raw_values as raw_values
    from {{ ref('stg_shop__' ~ table ~ '_validated') }}
    where reject_reason is not null
{% endmacro %}
