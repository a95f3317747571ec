{#
    Nothing is lost: for every raw table, raw rows = accepted rows + rejected
    rows. Returns the tables where the counts do not add up.
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
)

select *
from counts
where raw_rows != accepted_rows + rejected_rows
