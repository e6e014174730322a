"""Each finding as a chart with its intervals, and the factors ranked by their effect."""

import streamlit as st

from insights import sentences
from insights.dashboard import finding_chart, load_snapshot, page_header, ranking_chart
from insights.findings import FINDINGS

page_header("Findings")
snapshot = load_snapshot()

st.header("Which factors matter")
st.text(sentences.ranking_sentence(snapshot.ranking))
st.altair_chart(ranking_chart(snapshot.ranking), width="stretch")
st.dataframe(
    snapshot.ranking[
        [
            "effect_rank",
            "factor_name",
            "verdict",
            "score_correlation",
            "score_correlation_ci_lower",
            "score_correlation_ci_upper",
            "slope_points",
            "slope_unit",
            "p_value_holm",
        ]
    ],
    hide_index=True,
)

for finding in FINDINGS:
    groups = snapshot.findings[finding.key]
    st.header(finding.title)
    st.caption(finding.question)
    st.text(sentences.finding_sentence(finding, groups))
    st.altair_chart(finding_chart(finding, groups), width="stretch")

st.caption(
    "Intervals: 95 %, estimate ± 1.96 standard errors (normal approximation), computed in SQL "
    "by the findings marts (schema marts, rpt_exam_score_*)."
)
