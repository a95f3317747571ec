{#
    BG/NBD input collapsed to one row per unique (industry_segment,
    frequency, recency_days, tenure_days) with the number of customers
    sharing it: the likelihood is a weighted sum over these rows, so the
    fit costs the same on a million customers as on a few thousand rows.
#}
with customers as (
    select * from {{ ref('int_customers_btyd_summarised') }}
),

final as (
    select
        industry_segment,
        frequency,
        recency_days,
        tenure_days,
        cast(count(*) as bigint) as n_customers
    from customers
    group by industry_segment, frequency, recency_days, tenure_days
)

select * from final
