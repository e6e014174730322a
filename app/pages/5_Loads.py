"""Every published load: the KPIs across loads, and the latest load beside the one before."""

import streamlit as st

from insights import sentences
from insights.dashboard import kpi_trend_chart, load_snapshot, page_header, plain, stability_chart
from insights.loads import comparison_table, kpi_trend, loads_table

page_header("Loads")
snapshot = load_snapshot()
history, comparison = snapshot.load_history, snapshot.load_comparison

st.text(sentences.loads_sentence(history))
if history.empty:
    st.stop()

st.header("The KPIs across loads")
if len(history) == 1:
    st.info(sentences.ONE_LOAD_SO_FAR)
else:
    st.text(sentences.trend_sentence(history))
    columns = st.columns(3)
    for index, (label, kpi) in enumerate(kpi_trend(history).groupby("label", sort=False)):
        columns[index % 3].altair_chart(kpi_trend_chart(kpi, label), width="stretch")

st.header("Every load")
st.dataframe(loads_table(history), hide_index=True)

st.header("The latest load compared with the one before")
st.text(sentences.comparison_sentence(comparison, snapshot.compared_loads()))
if comparison["previous_source_file"].notna().any():
    table = comparison_table(comparison)
    st.dataframe(table, hide_index=True, height=35 * (len(table) + 1) + 3)  # every row shown
    stability = sentences.stability_sentence(comparison)
    shifted = comparison[comparison["is_shifted"]]
    if len(shifted):
        names = ", ".join(
            f"{label} (PSI {psi:.2f})"
            for label, psi in zip(shifted["label"], shifted["psi"], strict=True)
        )
        st.warning(f"Published with a shift accepted: {plain(names)}.")
    if stability:
        st.text(stability)
        st.altair_chart(stability_chart(comparison), width="stretch")
    st.caption(
        "A column's population stability index (PSI) sums, over its values (a number's cut at "
        "the previous load's deciles), the change in their shares times the log of their ratio "
        "(marts.rpt_load_comparison)."
    )
