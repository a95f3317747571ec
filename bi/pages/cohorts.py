"""Cohorts: retention triangle and average retention curve (fct_cohort_retention)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bi.data import header, query, store_picker, svg

st.title("Cohort retention")
header()
store = store_picker("fct_cohort_retention")
if store is not None:
    months = st.slider("Months since first order", 6, 36, 24)
    cohorts = query(
        """
        select strftime(cohort_month, '%Y-%m') as cohort, months_since_first_order,
               cohort_size, active_customers, retention_rate
        from marts.fct_cohort_retention
        where store_id = ? and months_since_first_order between 0 and ?
        order by cohort_month, months_since_first_order
        """,
        (store, months),
    )
    st.subheader("Share of each cohort active, by month since the first order")
    triangle = (
        alt.Chart(cohorts)
        .mark_rect()
        .encode(
            x=alt.X("months_since_first_order:O", title="months since first order"),
            y=alt.Y("cohort:O", title="cohort (first order month)"),
            color=alt.Color("retention_rate:Q", title="retention", scale=alt.Scale(scheme="blues")),
            tooltip=[
                "cohort",
                "months_since_first_order",
                "cohort_size",
                "active_customers",
                alt.Tooltip("retention_rate:Q", format=".1%"),
            ],
        )
    )
    st.altair_chart(svg(triangle), width="stretch")

    curve = query(
        """
        select months_since_first_order,
               sum(active_customers) / sum(cohort_size) as retention_rate,
               count(*) as cohorts
        from marts.fct_cohort_retention
        where store_id = ? and months_since_first_order between 1 and ?
        group by 1 order by 1
        """,
        (store, months),
    )
    st.subheader("Average retention curve (cohorts weighted by size)")
    line = (
        alt.Chart(curve)
        .mark_line(point=True)
        .encode(
            x=alt.X("months_since_first_order:Q", title="months since first order"),
            y=alt.Y("retention_rate:Q", title="active share", axis=alt.Axis(format="%")),
            tooltip=[
                "months_since_first_order",
                alt.Tooltip("retention_rate:Q", format=".1%"),
                "cohorts",
            ],
        )
    )
    st.altair_chart(svg(line), width="stretch")
