{{ config(materialized='table') }}

{#
    One row per raw table: raw, accepted and rejected rows and the rejected
    share. The tests in tests/staging/ fail the build when no order is
    accepted or when a table's rejected share exceeds var
    max_rejected_share, and warn on any reject; retention/build.py's
    summary prints it.
#}

with counts as (
    {{ raw_row_counts('orders') }}
    union all
    {{ raw_row_counts('stores') }}
    union all
    {{ raw_row_counts('customers') }}
    union all
    {{ raw_row_counts('refunds') }}
    union all
    {{ raw_row_counts('carts') }}
    union all
    {{ raw_row_counts('marketing_spend') }}
    union all
    {{ raw_row_counts('fx_rates') }}
),

final as (
    select
        raw_table,
        raw_rows,
        accepted_rows,
        rejected_rows,
        case when raw_rows > 0 then cast(rejected_rows as double) / raw_rows end as rejected_share
    from counts
)

select * from final
