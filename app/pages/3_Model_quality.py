"""How good the exam-score model is, what it relies on, and where it fails."""

import altair as alt
import streamlit as st

from insights import sentences
from insights.dashboard import forest_chart, load_snapshot, page_header, plain

page_header("Model quality")
snapshot = load_snapshot()
latest = snapshot.latest_metrics()

if latest.empty:
    st.info(
        "No exam-score model has been trained yet (marts.rpt_model_metrics is "
        f"{'missing' if snapshot.model_metrics is None else 'empty'}): run `make run`."
    )
    st.stop()

st.text(sentences.model_sentence(latest))
champion = latest[latest["is_champion"].astype(bool)].iloc[0]
columns = st.columns([2, 1, 1, 1])
columns[0].metric("champion", plain(champion["model_name"]), border=True)
columns[1].metric("hold-out R²", f"{champion['r2']:.3f}", border=True)
columns[2].metric("hold-out RMSE (points)", f"{champion['rmse']:.2f}", border=True)
columns[3].metric("cross-validated R²", f"{champion['cv_r2_mean']:.3f}", border=True)

interval = sentences.interval_sentence(latest)
if interval:
    st.text(interval)

st.header("Every model of the latest run")
st.dataframe(latest.drop(columns=["run_id"]), hide_index=True)

importance = snapshot.latest_importance()
if not importance.empty:
    st.header("What the champion relies on")
    shown = importance.assign(
        lower=importance["importance_mean"] - importance["importance_std"],
        upper=importance["importance_mean"] + importance["importance_std"],
        is_top=importance["importance_rank"] <= 3,
    )
    st.altair_chart(
        forest_chart(
            shown,
            label="feature_name",
            estimate="importance_mean",
            lower="lower",
            upper="upper",
            flag="is_top",
            flag_names=("other features", "top 3"),
            reference=0.0,
            x_title="drop in hold-out R² when shuffled (± 1 SD)",
        ),
        width="stretch",
    )

predictions = snapshot.predictions
if predictions is not None and not predictions.empty:
    st.header("Where it fails")
    st.text(sentences.error_sentence(predictions))
    st.altair_chart(
        alt.Chart(predictions)
        .mark_bar()
        .encode(
            x=alt.X("residual_points:Q", bin=alt.Bin(maxbins=40), title="actual − predicted"),
            y=alt.Y("count():Q", title="students"),
        ),
        width="stretch",
    )
