"""CRR by industry vs the published benchmark (rpt_retention_by_industry)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from bi.data import header, query, svg

st.title("Customer retention rate by industry")
header()
grain = st.selectbox("Period", ["year", "quarter", "month"])
periods = query(
    """
    select industry_segment, period_start, crr, stores_count, is_complete,
           benchmark_retention_rate, benchmark_definition, is_like_for_like_benchmark
    from marts.rpt_retention_by_industry
    where period_grain = ? and crr is not null
    order by industry_segment, period_start
    """,
    (grain,),
)
if periods.empty:
    st.info(
        "No industry rows in this file. A store's own file holds an industry row only "
        "when it reveals no single other store (DECISIONLOG.md)."
    )
else:
    st.subheader(f"CRR per {grain}")
    crr = (
        alt.Chart(periods)
        .mark_line(point=True)
        .encode(
            x=alt.X("period_start:T", title="period start"),
            y=alt.Y("crr:Q", title="CRR", axis=alt.Axis(format="%")),
            color=alt.Color("industry_segment:N", title="industry"),
            tooltip=[
                "industry_segment",
                "period_start:T",
                alt.Tooltip("crr:Q", format=".1%"),
                "stores_count",
                "is_complete",
            ],
        )
    )
    st.altair_chart(svg(crr), width="stretch")

    latest = query(
        """
        select industry_segment, arg_max(crr, period_start) as crr,
               any_value(benchmark_retention_rate) as benchmark_retention_rate,
               any_value(benchmark_definition) as benchmark_definition,
               bool_or(is_like_for_like_benchmark) as like_for_like,
               max(period_start) as period_start
        from marts.rpt_retention_by_industry
        where period_grain = ? and crr is not null and is_complete
        group by 1 order by 1
        """,
        (grain,),
    )
    compared = latest.melt(
        id_vars=["industry_segment"],
        value_vars=["crr", "benchmark_retention_rate"],
        var_name="measure",
        value_name="rate",
    ).dropna()
    compared["measure"] = compared["measure"].map(
        {"crr": "CRR (last complete period)", "benchmark_retention_rate": "benchmark"}
    )
    st.subheader("Last complete period vs the industry benchmark")
    bars = (
        alt.Chart(compared)
        .mark_bar()
        .encode(
            y=alt.Y("industry_segment:N", title="industry"),
            x=alt.X("rate:Q", title="rate", axis=alt.Axis(format="%")),
            yOffset="measure:N",
            color=alt.Color("measure:N", title=None),
            tooltip=["industry_segment", "measure", alt.Tooltip("rate:Q", format=".1%")],
        )
    )
    st.altair_chart(svg(bars), width="stretch")
    st.caption(
        "Benchmarks are published figures whose definition often differs from CRR "
        "(`benchmark_definition`); like-for-like only where `like_for_like` is true."
    )
    st.dataframe(latest, hide_index=True)
