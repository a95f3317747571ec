{#
    flag_duplicates(relation, key_columns, entity, content_columns, keep_hash, copies)

    Selects every row of `relation` (a CTE with a reject_reason column) and
    re-derives reject_reason for rows that pass every other check but share
    their key with another such row:
    - all copies identical        -> the first copy (by _source_file, then
                                     _source_row_number: the same export saved
                                     twice in a folder has its copies at the
                                     same row numbers) is kept, the others get
                                     'duplicate_<entity>'
    - copies differ in any column -> every copy gets
                                     'conflicting_duplicate_<entity>': there is
                                     no way to tell which version is right, so
                                     none is counted (see DECISIONLOG.md)

    content_columns = none: `relation` has the hash already, as _content_hash
    (an incremental base model stores it); keep_hash = true keeps
    _content_hash in the output.

    Duplicate keys are found by a hash aggregate and joined back, not by
    window functions over every row: no sort of the whole raw table (see
    BENCHMARKS.md; about 25 % less CPU for base_shop__orders).

    copies, optional: a CTE holding every copy of each key of `relation`
    that may have more than one, with reject_reason and _content_hash
    (bucket_candidates' candidate_copies): the copies are counted there,
    and `relation` is read once, as a stream (DECISIONLOG.md "Duplicates
    are counted among probes"). Default: `relation` itself.
#}
{% macro flag_duplicates(relation, key_columns, entity, content_columns, keep_hash=false, copies=none) %}
    with hashed as (
        select
            *
            {%- if content_columns %},
            {{ content_hash(content_columns) }} as _content_hash
            {%- endif %}
        from {{ relation }}
    ),

    -- the first copy's position: file, then row number, in one sortable
    -- string (built for the copies only, taken apart again below)
    duplicate_positions as (
        select
            {{ key_columns | join(", ") }},
            min(_content_hash) = max(_content_hash) as _copies_identical,
            min(
                coalesce(_source_file, '') || '|'
                || lpad(cast(_source_row_number as {{ dbt.type_string() }}), 20, '0')
            ) as _first_copy_position
        from {{ copies or 'hashed' }}
        where reject_reason is null
        group by {{ key_columns | join(", ") }}
        having count(*) > 1
    ),

    duplicate_keys as (
        select
            {{ key_columns | join(", ") }},
            _copies_identical,
            substring(_first_copy_position, 1, length(_first_copy_position) - 21) as _first_copy_file,
            cast(substring(_first_copy_position, length(_first_copy_position) - 19) as bigint)
                as _first_copy_row_number
        from duplicate_positions
    )

    select
        {{ star_exclude('hashed', ['reject_reason'] if keep_hash else ['reject_reason', '_content_hash']) }},
        case
            when hashed.reject_reason is not null then hashed.reject_reason
            when not duplicate_keys._copies_identical then 'conflicting_duplicate_{{ entity }}'
            when coalesce(hashed._source_file, '') > duplicate_keys._first_copy_file
                then 'duplicate_{{ entity }}'
            when
                coalesce(hashed._source_file, '') = duplicate_keys._first_copy_file
                and hashed._source_row_number > duplicate_keys._first_copy_row_number
                then 'duplicate_{{ entity }}'
        end as reject_reason
    from hashed
    left join duplicate_keys
        on
            hashed.reject_reason is null
            {%- for key in key_columns %}
            and hashed.{{ key }} = duplicate_keys.{{ key }}
            {%- endfor %}
{% endmacro %}
