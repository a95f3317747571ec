{#
    One row per customer: the buy-till-you-die summary with its CLV
    predictions. BG/NBD predictions come from the scored unique rows
    (int_clv_unique_rows_scored), Gamma-Gamma expected spend is computed here in
    closed form, and the gross margin is the segment's seed value or the
    default_gross_margin var. Predictions are null when the segment's
    parameters did not converge (never guessed).

    expected_average_spend = p (gamma + x m) / (p x + q - 1)   (m = 0 when x = 0)
    predicted_clv = discounted_purchases x expected_average_spend x gross_margin
    simple_clv = average_order_value x store yearly purchase frequency
                 x store expected lifespan in years x gross_margin

    A view: every customer's row changes when as_of_date moves (tenure),
    and its readers join it once (dim_customers), group it
    (rpt_unit_economics, by first_order_date's month) or filter it first
    (the holdout marts). Written as a table, its rows cost a second
    customer-sized write every day (DECISIONLOG.md "The CLV predictions
    are a view").
#}
{{ config(materialized='view') }}

with customers as (
    select * from {{ ref('int_customers_btyd_summarised') }}
),

scored_rows as (
    select * from {{ clv_step_relation('int_clv_unique_rows_scored') }}
),

parameters as (
    select * from {{ ref('clv_model_parameters') }}
),

segments as (
    select * from {{ ref('industry_segments') }}
),

store_inputs as (
    select * from {{ ref('int_stores_simple_clv_inputs') }}
),

joined as (
    select
        customers.*,
        scored_rows.probability_alive,
        scored_rows.predicted_purchases,
        scored_rows.discounted_purchases,
        scored_rows.holdout_predicted_purchases,
        scored_rows.probability_purchase_30d,
        scored_rows.probability_purchase_90d,
        scored_rows.median_days_to_next_purchase,
        case when parameters.converged then parameters.p end as p,
        case when parameters.converged then parameters.q end as q,
        case when parameters.converged then parameters.gamma end as gamma,
        coalesce(segments.gross_margin, {{ var('default_gross_margin') }}) as gross_margin,
        store_inputs.yearly_purchase_frequency,
        store_inputs.expected_lifespan_years
    from customers
    left join scored_rows
        on
            customers.industry_segment = scored_rows.industry_segment
            and customers.frequency = scored_rows.frequency
            and customers.recency_days = scored_rows.recency_days
            and customers.tenure_days = scored_rows.tenure_days
    left join parameters
        on customers.industry_segment = parameters.industry_segment
    left join segments
        on customers.industry_segment = segments.industry_segment
    left join store_inputs
        on customers.store_id = store_inputs.store_id
),

with_spend as (
    select
        *,
        p * (gamma + frequency * case when frequency > 0 then greatest(monetary_value, 0) else 0 end)
        / (p * frequency + q - 1) as expected_average_spend
    from joined
),

final as (
    select
        store_id,
        customer_id,
        industry_segment,
        frequency,
        recency_days,
        tenure_days,
        monetary_value,
        net_revenue as historical_clv,
        cast(probability_alive as double) as probability_alive,
        cast(predicted_purchases as double) as predicted_purchases,
        cast(holdout_predicted_purchases as double) as holdout_predicted_purchases,
        -- next-purchase outlook (retention.clv.outlook, computed on the scored unique rows)
        cast(probability_purchase_30d as double) as probability_purchase_30d,
        cast(probability_purchase_90d as double) as probability_purchase_90d,
        cast(median_days_to_next_purchase as double) as median_days_to_next_purchase,
        cast(expected_average_spend as double) as expected_average_spend,
        cast(gross_margin as double) as gross_margin,
        cast(discounted_purchases * expected_average_spend * gross_margin as double) as predicted_clv,
        cast(
            ({{ average_order_value('net_revenue', 'orders_count', to_cents=false) }})
            * yearly_purchase_frequency * expected_lifespan_years * gross_margin
            as double
        ) as simple_clv,
        first_order_date
    from with_spend
)

select * from final
