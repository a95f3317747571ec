{#
    Gamma-Gamma input: repeat buyers collapsed to unique (industry_segment,
    frequency, monetary_value) with their number. One-time buyers carry no
    spend information beyond the first purchase (excluded by the model's
    convention); repeat buyers with monetary_value <= 0 are kept here and
    skipped by the fitter (the model needs positive spend).
#}
with customers as (
    select * from {{ ref('int_customers_btyd_summarised') }}
    where frequency > 0
),

final as (
    select
        industry_segment,
        frequency,
        monetary_value,
        cast(count(*) as bigint) as n_customers
    from customers
    group by industry_segment, frequency, monetary_value
)

select * from final
