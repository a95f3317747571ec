"""Customer lifetime value: predicted vs historical per store, distribution,
model parameters (dim_customers, clv_model_parameters)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bi.data import header, query, store_picker, svg

st.title("Customer lifetime value")
header()
stores = query(
    """
    select store_id, count(*) as customers,
           avg(historical_clv) as historical_clv, avg(predicted_clv) as predicted_clv,
           avg(probability_alive) as probability_alive
    from marts.dim_customers group by 1 order by 1
    """
)
st.subheader("Average CLV per customer, by store")
per_store = stores.melt(
    id_vars=["store_id", "customers"],
    value_vars=["historical_clv", "predicted_clv"],
    var_name="measure",
    value_name="clv",
).dropna()
bars = (
    alt.Chart(per_store)
    .mark_bar()
    .encode(
        x=alt.X("store_id:N", title="store"),
        y=alt.Y("clv:Q", title="average CLV"),
        xOffset="measure:N",
        color=alt.Color("measure:N", title=None),
        tooltip=["store_id", "measure", alt.Tooltip("clv:Q", format=",.2f"), "customers"],
    )
)
st.altair_chart(svg(bars), width="stretch")

store = store_picker("dim_customers")
if store is not None:
    histogram = query(
        """
        with customers as (
            select cast(predicted_clv as double) as clv
            from marts.dim_customers where store_id = ? and predicted_clv is not null
        ),
        bounds as (select greatest(quantile_cont(clv, 0.99), 1) / 40 as width from customers)
        select least(floor(clv / width), 40) * width as clv_from, count(*) as customers
        from customers, bounds group by 1 order by 1
        """,
        (store,),
    )
    st.subheader(f"Predicted CLV of {store}'s customers (last bin: top 1 %)")
    distribution = (
        alt.Chart(histogram)
        .mark_bar()
        .encode(
            x=alt.X("clv_from:Q", title="predicted CLV (bin start)"),
            y=alt.Y("customers:Q", title="customers"),
            tooltip=[alt.Tooltip("clv_from:Q", format=",.2f"), "customers"],
        )
    )
    st.altair_chart(svg(distribution), width="stretch")

st.subheader("BG/NBD + Gamma-Gamma parameters per industry segment")
st.dataframe(query("select * from marts.clv_model_parameters order by 1"), hide_index=True)
