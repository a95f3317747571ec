{#
    flag_duplicates(relation, key_columns, entity, content_columns)

    Selects every row of `relation` (a CTE with a reject_reason column) and
    re-derives reject_reason for rows that pass every other check but share
    their key with another such row:
    - all copies identical        -> the first copy (by _source_row_number)
                                     is kept, the others get 'duplicate_<entity>'
    - copies differ in any column -> every copy gets
                                     'conflicting_duplicate_<entity>': there is
                                     no way to tell which version is right, so
                                     none is counted (see DECISIONLOG.md)
#}
{% macro flag_duplicates(relation, key_columns, entity, content_columns) %}
    {%- set partition -%}
        partition by (reject_reason is null), {{ key_columns | join(", ") }}
    {%- endset %}
    with hashed as (
        select
            *,
            hash({{ content_columns | join(", ") }}) as _content_hash
        from {{ relation }}
    ),

    windowed as (
        select
            *,
            count(*) over ({{ partition }}) as _copies,
            row_number() over ({{ partition }} order by _source_row_number) as _copy_number,
            min(_content_hash) over ({{ partition }}) = max(_content_hash) over ({{ partition }})
                as _copies_identical
        from hashed
    )

    select
        * exclude (reject_reason, _content_hash, _copies, _copy_number, _copies_identical),
        case
            when reject_reason is not null then reject_reason
            when _copies > 1 and not _copies_identical then 'conflicting_duplicate_{{ entity }}'
            when _copy_number > 1 then 'duplicate_{{ entity }}'
        end as reject_reason
    from windowed
{% endmacro %}
