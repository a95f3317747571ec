"""Retention dashboards over the published marts: `make bi`
(streamlit run bi/app.py). The file: BI_DASHBOARD_DB, else BI_WAREHOUSE_PATH."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Retention warehouse", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "cohorts.py", title="Cohorts", url_path="cohorts", default=True),
        st.Page(PAGES / "industry.py", title="CRR by industry", url_path="industry"),
        st.Page(PAGES / "clv.py", title="Customer lifetime value", url_path="clv"),
        st.Page(PAGES / "segments.py", title="RFM segments", url_path="segments"),
    ]
)
navigation.run()
