"""RFM segments of a store: customers and revenue share (rpt_customer_segments)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bi.data import header, query, store_picker, svg

st.title("RFM segments")
header()
store = store_picker("rpt_customer_segments")
if store is not None:
    segments = query(
        """
        select rfm_segment, segment_order, customers, share_of_customers, net_revenue,
               share_of_revenue, average_historical_clv, average_predicted_clv
        from marts.rpt_customer_segments where store_id = ? order by segment_order
        """,
        (store,),
    )
    order = segments["rfm_segment"].tolist()
    st.subheader("Customers per segment")
    customers = (
        alt.Chart(segments)
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", sort=order, title="segment"),
            x=alt.X("customers:Q", title="customers"),
            tooltip=["rfm_segment", "customers", alt.Tooltip("share_of_customers:Q", format=".1%")],
        )
    )
    st.altair_chart(svg(customers), width="stretch")
    shares = segments.melt(
        id_vars=["rfm_segment"],
        value_vars=["share_of_customers", "share_of_revenue"],
        var_name="measure",
        value_name="share",
    )
    st.subheader("Share of customers vs share of net revenue")
    compared = (
        alt.Chart(shares)
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", sort=order, title="segment"),
            x=alt.X("share:Q", title="share", axis=alt.Axis(format="%")),
            yOffset="measure:N",
            color=alt.Color("measure:N", title=None),
            tooltip=["rfm_segment", "measure", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    st.altair_chart(svg(compared), width="stretch")
    st.dataframe(segments, hide_index=True)
