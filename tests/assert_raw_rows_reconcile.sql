{#
    Nothing is lost: for every raw table, raw rows = accepted rows + rejected
    rows. Returns the tables where the counts do not add up.
#}

with counts as (
    {%- for table in raw_table_names() %}
    {{ raw_row_counts(table) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select *
from counts
where raw_rows != accepted_rows + rejected_rows
