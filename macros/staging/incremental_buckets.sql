{#
    The staging models that are incremental by bucket (base_shop__orders,
    base_shop__carts, base_shop__customers; DECISIONLOG.md "Incremental
    staging by bucket") share
    this layer: each reads its raw view as a CTE named `source`, cuts it
    into buckets with a fingerprint (bucket_change_ctes), checks the rows of
    the changed buckets into a CTE named `validated`, re-flags duplicates
    of the keys those buckets touch (bucket_candidates) and appends the
    tombstones of vanished buckets (bucket_tombstones; the post-hook
    delete_bucket_tombstones deletes them again).
#}

{#
    raw_day_bucket(relation, timestamp_column): the bucket of a raw row:
    its file is a separate column; here the raw store_id and the first 10
    characters of the timestamp as written (the day for ISO timestamps;
    any other shape still gives a fixed bucket per value). No parsing: a
    bucket is a unit of change detection, not a calendar day. Days, not
    months: a status change in an old month re-validates that store's day
    (~60 rows at 1M orders over 3 years and 16 stores), not its month
    (~1,700).
#}
{% macro raw_day_bucket(relation, timestamp_column) -%}
    coalesce(cast({{ relation }}.store_id as {{ dbt.type_string() }}), '') || '|'
    || coalesce(left(cast({{ relation }}.{{ timestamp_column }} as {{ dbt.type_string() }}), 10), '')
{%- endmacro %}


{#
    bucket_change_ctes(bucket, recheck, key_columns): the CTEs raw_buckets
    (every bucket of `source` with its fingerprint: row count and the sum
    of the rows' hashes, file row numbers included), changed_buckets (new
    or changed buckets; first build: every bucket) and to_check (their raw
    rows, with _bucket, _bucket_fingerprint and _is_probe, below); in an
    incremental run also published_buckets and replaced_buckets (published
    buckets changed or gone: their rows are replaced). `bucket` is the
    bucket expression over the alias `source`; `recheck` a boolean over a
    published row (alias `published`): a bucket holding such a row counts
    as changed on every build (its stored fingerprint is ignored).
    `recheck_buckets`, optional: a CTE of distinct buckets (_source_file,
    _bucket) that count as changed too, for a recheck that needs a join (an
    `exists` in `recheck` is evaluated per published row, as a costly delim
    join).

    With config changed_raw_files (macros/build_log/raw_files.sql), an
    incremental run reads only the raw files whose fingerprint changed
    since this model last read them, the files of buckets to recheck, and
    new files (source_to_read); the published buckets of the other files
    are left as they are.

    source_to_read, and the model's `source` CTE under it, are declared
    not_materialized(): raw_buckets and to_check each read the raw files
    instead of DuckDB materialising every raw row, all columns, for the
    two reads (and spilling it beyond memory_limit; DECISIONLOG.md
    "Staging reads its raw rows twice").

    Probes for the duplicate check. to_check holds every row to check once
    with _is_probe false, and again, with _is_probe true, each row whose
    key may have another copy: in a first build a row whose `key_columns`
    (raw columns, compared as clean_text() gives them, which is how every
    bucketed model cleans its key) share their hash with another raw row
    (repeated_keys); in an incremental run every row to check (a copy may
    sit in a published bucket; the rows are few). The model checks both
    alike; bucket_candidates splits them again, and flag_duplicates counts
    copies among the probes only, so the checked rows stream to the table
    instead of being held for a join back to their own aggregate. Every
    CTE from to_check to `validated` is therefore declared
    not_materialized(): a first build with no repeated key reads no probe
    (DECISIONLOG.md "Duplicates are counted among probes"). An incremental
    run holds its rows to check (rows_to_check) instead of reading the
    raw files once per path.
#}
{% macro bucket_change_ctes(bucket, recheck, key_columns, recheck_buckets=none) %}
{%- set skips_files = is_incremental() and changed_raw_files_table() is not none %}
{%- if skips_files -%}
/* build-mode { */
{{ unchanged_raw_files_ctes(recheck, recheck_buckets) }},
/* } build-mode */
{%- endif %}

source_to_read as {{ not_materialized() }} (
    select * from source
    {%- if skips_files %}
        /* build-mode { */
        -- a semi join: DuckDB skips the other files of a Parquet folder
        where source._source_file in (select files_to_read.source_file from files_to_read)
        /* } build-mode */
    {%- endif %}
),

raw_buckets as (
    -- fingerprint: every raw column and the row number (the path is the bucket's)
    select
        source._source_file,
        {{ bucket }} as _bucket,
        cast(count(*) as {{ dbt.type_string() }}) || ':'
        || cast(sum({{ raw_row_hash() }}) as {{ dbt.type_string() }})
            as _bucket_fingerprint
    from source_to_read as source
    group by source._source_file, {{ bucket }}
),

{% if is_incremental() -%}
/* build-mode { */
{{ 'published_fingerprints' if recheck_buckets else 'published_buckets' }} as (
    select
        published._source_file,
        published._bucket,
        case
            when not bool_or(coalesce({{ recheck }}, false))
                then min(published._bucket_fingerprint)
        end as _bucket_fingerprint
    from {{ this }} as published
    {%- if skips_files %}
    where published._source_file not in (select unchanged_files.source_file from unchanged_files)
    {%- endif %}
    group by 1, 2
),
{%- if recheck_buckets %}

published_buckets as (
    select
        published_fingerprints._source_file,
        published_fingerprints._bucket,
        case
            when {{ recheck_buckets }}._bucket is null then published_fingerprints._bucket_fingerprint
        end as _bucket_fingerprint
    from published_fingerprints
    left join {{ recheck_buckets }}
        on {{ same_bucket(recheck_buckets, 'published_fingerprints') }}
),
{%- endif %}

replaced_buckets as (
    select
        _source_file,
        _bucket
    from published_buckets
    where not exists (
        select 1 from raw_buckets
        where {{ same_bucket_fingerprint('raw_buckets', 'published_buckets') }}
    )
),
/* } build-mode */
{%- endif %}

changed_buckets as (
    select raw_buckets.*
    from raw_buckets
    {%- if is_incremental() %}
        /* build-mode { */
        where not exists (
            select 1 from published_buckets
            where {{ same_bucket_fingerprint('raw_buckets', 'published_buckets') }}
        )
        /* } build-mode */
    {%- endif %}
),

{#- an incremental run holds its few rows to check for the paths below
    (as one buffer, not read from the raw files once per path) #}
rows_to_check as
{%- if is_incremental() %} /* build-mode { */ materialized /* } build-mode */
{%- else %} /* build-mode { */ {{ not_materialized() }} /* } build-mode */
{%- endif %} (
    select
        source.*,
        buckets._bucket,
        buckets._bucket_fingerprint
    from source_to_read as source
    inner join changed_buckets as buckets
        on
            source._source_file = buckets._source_file
            and {{ bucket }} = buckets._bucket
),

{%- set clean_keys = [] %}
{%- for key in key_columns %}{% do clean_keys.append(clean_text(key)) %}{% endfor %}
{%- set key_hash = content_hash(clean_keys) %}
{%- if not is_incremental() %}

/* build-mode { */
-- the key hashes of more than one raw row (a row without a key is
-- rejected before the duplicate check)
repeated_keys as (
    select {{ key_hash }} as _key_hash
    from source_to_read
    where {{ clean_keys | join(' is not null and ') }} is not null
    group by 1
    having count(*) > 1
),
/* } build-mode */
{%- endif %}

to_check as {{ not_materialized() }} (
    select
        rows_to_check.*,
        false as _is_probe
    from rows_to_check
    union all
    select
        rows_to_check.*,
        true as _is_probe
    from rows_to_check
    {%- if not is_incremental() %}
        /* build-mode { */
        where {{ key_hash }} in (select repeated_keys._key_hash from repeated_keys)
        /* } build-mode */
    {%- endif %}
)
{% endmacro %}


{#
    order_bucket_change_ctes(bucket, recheck, key_columns): bucket_change_ctes
    for a model whose rows name an order (column order_id: carts, refunds)
    and whose checks read the accepted orders. In an incremental run the
    buckets holding a row whose order changed in orders staging since this
    model's last build are checked again too (CTEs changed_orders: the
    changelog of base_shop__orders, every key after a reset, so the model
    needs config changes_from='base_shop__orders'; changed_order_buckets).

    verdict_may_change, optional: a boolean over a published row (alias
    `published`) whose order changed and that order as orders staging now
    accepts it (alias `accepted_orders`, its columns null when staging does
    not accept the order): only the buckets holding a row for which it is
    true are checked again. For a model whose checks read no more of the
    order than whether staging accepts it (carts: unknown_order), a status
    or amount change then checks nothing again. Default: every row whose
    order changed (refunds: their checks read the order's date and value).
#}
{% macro order_bucket_change_ctes(bucket, recheck, key_columns, verdict_may_change=none) %}
{% if is_incremental() -%}
/* build-mode { */
-- the orders whose staging rows changed since this model's last build
changed_orders as (
    {{ keys_to_read('base_shop__orders', this, 'order_id') }}
),

-- the buckets holding a row whose order changed{{ ' (and whose verdict may change with it)' if verdict_may_change }}
changed_order_buckets as (
    select distinct
        published._source_file,
        published._bucket
    from {{ this }} as published
    inner join {{ small_key_list('changed_orders', ['store_id', 'entity_id'], 'base_shop__orders') }}
        on
            published.store_id = changed_orders.store_id
            and published.order_id = changed_orders.entity_id
    {%- if verdict_may_change %}
    left join {{ ref('stg_shop__orders') }} as accepted_orders
        on
            published.store_id = accepted_orders.store_id
            and published.order_id = accepted_orders.order_id
    where {{ verdict_may_change }}
    {%- endif %}
),
/* } build-mode */
{%- endif %}

{{ bucket_change_ctes(
    bucket, recheck, key_columns,
    recheck_buckets='changed_order_buckets' if is_incremental() else none
) }}
{%- endmacro %}


{#
    named_order_keys(): the distinct order keys (store_id, order_id, cleaned)
    the rows to check name, for a model of order_bucket_change_ctes to look
    the orders up by key (DECISIONLOG.md "Staging looks up orders by key").
    A first build checks every raw row: it reads their keys from the raw
    rows (`source`) instead of computing the rows to check twice.
#}
{% macro named_order_keys() %}
    select distinct
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('order_id') }} as order_id
    from /* build-mode { */{{ 'rows_to_check' if is_incremental() else 'source' }}/* } build-mode */
    where {{ clean_text('store_id') }} is not null and {{ clean_text('order_id') }} is not null
{%- endmacro %}


{#
    unchanged_raw_files_ctes(recheck, recheck_buckets): the CTEs
    unchanged_files (the raw files seen before this build with the
    fingerprint they had when this model last read them, but for files
    holding a published row to recheck or a bucket of recheck_buckets) and
    files_to_read (the other files seen). See bucket_change_ctes.
#}
{% macro unchanged_raw_files_ctes(recheck, recheck_buckets) %}
recheck_files as (
    select distinct published._source_file
    from {{ this }} as published
    where {{ recheck }}
    {%- if recheck_buckets %}
    union
    select {{ recheck_buckets }}._source_file from {{ recheck_buckets }}
    {%- endif %}
),

unchanged_files as (
    select seen.source_file
    from meta.raw_files_seen as seen
    inner join meta.raw_files_read as last_read
        on
            seen.node_id = last_read.node_id
            and seen.source_file = last_read.source_file
            and seen.file_fingerprint = last_read.file_fingerprint
    where
        seen.node_id = '{{ model.unique_id }}'
        and seen.source_file not in (select recheck_files._source_file from recheck_files)
),

files_to_read as (
    select seen.source_file
    from meta.raw_files_seen as seen
    where
        seen.node_id = '{{ model.unique_id }}'
        and seen.source_file not in (select unchanged_files.source_file from unchanged_files)
)
{% endmacro %}


{# The same bucket of the same file in `left` and `right`. #}
{% macro same_bucket(left, right) -%}
    {{ left }}._source_file = {{ right }}._source_file
    and {{ left }}._bucket = {{ right }}._bucket
{%- endmacro %}


{# `relation.column` for each of `columns`, comma-separated. #}
{% macro qualified(relation, columns) -%}
    {%- for column in columns %}{{ relation }}.{{ column }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}


{# The same values of `columns` in `left` and `right`. #}
{% macro same_columns(left, right, columns) -%}
    {%- for column in columns %}
    {{- left }}.{{ column }} = {{ right }}.{{ column }}{{ " and " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#
    The published buckets (_source_file, _bucket), distinct, that hold a
    row whose `columns` are in `relation` and that are not replaced in
    this run (bucket_candidates).
#}
{% macro unreplaced_buckets_holding(relation, columns) %}
    select distinct
        published._source_file,
        published._bucket
    from {{ this }} as published
    -- a semi join, which DuckDB builds on the keys; an inner join was built
    -- on the published rows (estimated fewer): 2.6 s of CPU at 10M orders
    where exists (
        select 1 from {{ relation }}
        where {{ same_columns('published', relation, columns) }}
    )
    and not exists (
        select 1 from replaced_buckets
        where {{ same_bucket('replaced_buckets', 'published') }}
    )
{%- endmacro %}


{# The same bucket of the same file with the same fingerprint in `left` and `right`. #}
{% macro same_bucket_fingerprint(left, right) -%}
    {{ same_bucket(left, right) }}
    and {{ left }}._bucket_fingerprint = {{ right }}._bucket_fingerprint
{%- endmacro %}


{#
    future_dated_reject(timestamp_columns): true for a published row
    (alias `published`) rejected as out of range with one of these
    timestamps on or after min_valid_date, i.e. dated in the future: with
    var build_date null it may be valid today, so its bucket is checked
    again on every build (bucket_change_ctes' `recheck`).
#}
{% macro future_dated_reject(timestamp_columns) -%}
    (published.reject_reason = 'out_of_range_timestamp' and (
        {%- for column in timestamp_columns %}
        published.{{ column }} >= cast('{{ var("min_valid_date", "1990-01-01") }}' as date)
        {{- " or" if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}


{#
    unknown_order_may_change(): true for a published row (alias
    `published`) whose unknown_order check may answer otherwise now that
    its order changed (alias `accepted_orders`: the order as orders staging
    accepts it, null when it does not): an accepted row whose order is no
    longer accepted, or a row rejected as unknown_order whose order now is.
    A row rejected for another reason counts too (its verdict is left to
    the checks). order_bucket_change_ctes' `verdict_may_change` for a model
    whose only check of the order is that staging accepts it (carts).
#}
{% macro unknown_order_may_change() -%}
    case
        when published.reject_reason is null then accepted_orders.order_id is null
        when published.reject_reason = 'unknown_order' then accepted_orders.order_id is not null
        else true
    end
{%- endmacro %}


{#
    bucket_local_day_offsets(): the CTEs day_shifts, bucket_zone_days and
    local_day_offsets: the store's UTC offset per zone and UTC day
    (macros/cross_engine/dates.sql) for the days the changed buckets of
    raw_day_bucket hold (cheap: one row per store and raw day), each with
    the day either side (a timestamp written with an offset can fall on
    another UTC day). Only the cost depends on it: a row whose zone and day
    are missing gets its date from a conversion of its own. Needs the CTEs
    changed_buckets and stores.
#}
{% macro bucket_local_day_offsets() %}
day_shifts as (
    select -1 as day_shift
    union all
    select 0 as day_shift
    union all
    select 1 as day_shift
),

bucket_zone_days as (
    select
        stores.timezone,
        {{ dbt.dateadd('day', 'day_shifts.day_shift', "try_cast(right(changed_buckets._bucket, 10) as date)") }}
            as utc_day
    from changed_buckets
    inner join stores
        on {{ clean_text("split_part(changed_buckets._bucket, '|', 1)") }} = stores.store_id
    cross join day_shifts
),

local_day_offsets as (
    {{ utc_day_offsets('bucket_zone_days') }}
)
{% endmacro %}


{#
    bucket_row_columns(relation): the columns a bucketed model's `validated`
    carries besides the model's own (the row's place, its bucket and
    fingerprint, whether it is a probe, its content hash), read from
    `relation`.
#}
{% macro bucket_row_columns(relation) -%}
    {{ qualified(relation, [
        '_source_file', '_source_row_number', '_bucket', '_bucket_fingerprint', '_is_probe', '_content_hash',
    ]) }}
{%- endmacro %}


{#
    bucket_candidates(key_columns, entity): the CTE candidates: the rows of
    `validated` (the checked rows of the changed buckets, with
    _content_hash and _is_probe) that are not probes and, in an
    incremental run, every row of each unchanged bucket that holds a key
    whose copies may have changed (a key of a row that passed every check
    but the duplicate one, in a changed bucket now or in a replaced bucket
    before), its reject_reason as before the duplicate check, so that
    flag_duplicates sees every copy of each affected key and no other key
    changes (a row of another key there keeps its published reason).
    With group_columns (a refund's store_id and order_id) and
    group_reasons (the reasons of a check over every row of a group, made
    after the duplicate check, e.g. refund_exceeds_order): every unchanged
    bucket holding a row of an affected group (a group of a row checked
    now, replaced, or a copy of an affected key) is re-emitted too, the
    group's rows with their reason before that check, so that the check
    sees every row of each affected group. The
    CTE candidate_copies: the same with the probes of
    `validated` in place of its other rows, i.e. every copy of each key
    that may have more than one (bucket_change_ctes; flag_duplicates'
    `copies`). Also the CTE tombstones: one row per vanished bucket
    (delete+insert on the bucket removes the published rows; its
    reject_reason keeps it from passing for one of the deleted rows in a
    changelog; bucket_tombstones appends it).
#}
{% macro bucket_candidates(key_columns, entity, group_columns=none, group_reasons=none) %}
{% if is_incremental() -%}
/* build-mode { */
affected_keys as (
    select {{ key_columns | join(', ') }}
    from validated
    where not validated._is_probe and validated.reject_reason is null
    union
    select {{ qualified('published', key_columns) }}
    from {{ this }} as published
    inner join replaced_buckets
        on {{ same_bucket('published', 'replaced_buckets') }}
    where {{ before_duplicate_check('published.reject_reason', entity, group_reasons or []) }} is null
),

{%- if group_columns %}

-- the groups (a refund's order) whose check over all their rows may
-- answer otherwise: those of every row checked now, of every row replaced,
-- and of every copy of an affected key (its duplicate flag may change)
affected_groups as (
    select {{ group_columns | join(', ') }}
    from validated
    where not validated._is_probe
    union
    select {{ qualified('published', group_columns) }}
    from {{ this }} as published
    inner join replaced_buckets
        on {{ same_bucket('published', 'replaced_buckets') }}
    union
    select {{ qualified('published', group_columns) }}
    from {{ this }} as published
    inner join affected_keys
        on {{ same_columns('published', 'affected_keys', key_columns) }}
),
{%- endif %}

touched_buckets as (
    {{ unreplaced_buckets_holding('affected_keys', key_columns) }}
    {%- if group_columns %}
    union
    {{ unreplaced_buckets_holding('affected_groups', group_columns) }}
    {%- endif %}
),

-- a row of an affected key goes back to its reason before the duplicate
-- check (and the group check), a row of an affected group to its reason
-- before the group check; any other row of a touched bucket keeps its
-- published reason: its key's copies did not change, and some of them may
-- lie in buckets that are not read again (a copy flagged as a duplicate
-- would otherwise count as the only one and be accepted beside the first)
restored as (
    select
        {{ star_exclude('published', ['reject_reason']) }},
        case
            when affected_keys.{{ key_columns[0] }} is not null
                then {{ before_duplicate_check('published.reject_reason', entity, group_reasons or []) }}
            {%- if group_columns %}
            when affected_groups.{{ group_columns[0] }} is not null
                then {{ before_reasons('published.reject_reason', group_reasons) }}
            {%- endif %}
            else published.reject_reason
        end as reject_reason
    from {{ this }} as published
    inner join touched_buckets
        on {{ same_bucket('published', 'touched_buckets') }}
    left join affected_keys
        on {{ same_columns('published', 'affected_keys', key_columns) }}
    {%- if group_columns %}
    left join affected_groups
        on {{ same_columns('published', 'affected_groups', group_columns) }}
    {%- endif %}
),

tombstones as (
    select
        {{ star_exclude('published', ['_source_row_number', 'reject_reason']) }},
        cast(null as bigint) as _source_row_number,
        'vanished_bucket' as reject_reason
    from {{ this }} as published
    inner join replaced_buckets
        on {{ same_bucket('published', 'replaced_buckets') }}
    where not exists (
        select 1 from changed_buckets
        where {{ same_bucket('changed_buckets', 'replaced_buckets') }}
    )
    qualify row_number() over (partition by published._source_file, published._bucket) = 1
),
/* } build-mode */
{%- endif %}

candidates as (
    select {{ star_exclude('validated', ['_is_probe']) }}
    from validated
    where not validated._is_probe
    {%- if is_incremental() %}
        /* build-mode { */
        union all by name
        select * from restored
        /* } build-mode */
    {%- endif %}
),

candidate_copies as (
    select {{ star_exclude('validated', ['_is_probe']) }}
    from validated
    where validated._is_probe
    {%- if is_incremental() %}
        /* build-mode { */
        union all by name
        select * from restored
        /* } build-mode */
    {%- endif %}
)
{% endmacro %}


{# `union all` of the tombstones (bucket_candidates) in an incremental run; nothing otherwise. #}
{% macro bucket_tombstones() -%}
    {%- if is_incremental() %}
        /* build-mode { */
        union all by name
        select * from tombstones
        /* } build-mode */
    {%- endif %}
{%- endmacro %}


{# The reject_reason a published row had before the duplicate check (and
   the checks after it that give `later_reasons`). #}
{% macro before_duplicate_check(column, entity, later_reasons=[]) -%}
    {{ before_reasons(column, ['duplicate_' ~ entity, 'conflicting_duplicate_' ~ entity] + later_reasons) }}
{%- endmacro %}


{# The reject_reason a published row had before the checks that give `reasons`. #}
{% macro before_reasons(column, reasons) -%}
    case
        when {{ column }} in ('{{ reasons | join("', '") }}') then null
        else {{ column }}
    end
{%- endmacro %}


{#
    Post-hook: the one-row markers of vanished buckets (null
    _source_row_number) have made delete+insert delete the bucket's
    published rows; they are deleted in turn, in the same transaction.
#}
{% macro delete_bucket_tombstones() %}
    {%- if is_incremental() %}
        delete from {{ this }} where _source_row_number is null
    {%- endif %}
{% endmacro %}
