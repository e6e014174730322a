"""Predict exam scores with the registered champion: one student by form, or a CSV batch."""

import io

import pandas as pd
import streamlit as st

from insights.dashboard import load_snapshot, page_header, plain
from insights.prediction import (
    PredictionUnavailable,
    answers_frame,
    form_fields,
    missing_answers,
    missing_columns,
    predict_students,
)
from insights.sentences import percent
from spf.definitions import var

AT_RISK_BELOW = var("ml_at_risk_below_score")
CONFIDENCE = float(var("ml_interval_confidence"))
CUTOFF = float(var("ml_at_risk_probability_cutoff"))

page_header("Predict an exam score")
snapshot = load_snapshot()
st.caption(
    "The registered champion scores the student after the warehouse's own cleaning and checks; "
    "a value the warehouse would reject comes back with the reason. Each prediction comes with "
    f"the range the actual score falls in for {percent(CONFIDENCE)} of students, the chance of "
    f"scoring below {AT_RISK_BELOW}, and the three factors that move it most."
)


def show_failure(error: Exception) -> None:
    st.error(f"No prediction could be made: {plain(error)}")


def show_prediction(result: pd.Series) -> None:
    """One student's prediction, its interval, the chance of scoring below the at-risk score
    and the three reasons, in words."""
    columns = st.columns(3)
    columns[0].metric("predicted exam score", f"{result['predicted_exam_score']:.1f}")
    columns[1].metric(
        f"{percent(CONFIDENCE)} range (points)",
        f"{result['predicted_lower']:.1f} to {result['predicted_upper']:.1f}",
    )
    columns[2].metric(
        f"chance of scoring below {AT_RISK_BELOW}",
        percent(result["probability_below_at_risk_score"]),
    )
    if result["is_predicted_at_risk"] == "True":
        st.warning(
            f"Predicted at risk: a chance of {percent(CUTOFF)} or more of scoring below"
            f" {AT_RISK_BELOW}."
        )
    st.subheader("Why this prediction")
    st.caption("The factors that move it most away from the average student's, in exam points.")
    for reason in str(result["top_reasons"]).split("; "):
        st.text(reason)
    st.caption(f"Champion model version {plain(result['model_version'])}.")


st.header("One student")
with st.form("student"):
    answers: dict[str, object] = {}
    columns = st.columns(3)
    for index, field in enumerate(form_fields()):
        place = columns[index % 3]
        if field.kind == "category":
            answers[field.raw] = place.selectbox(
                field.label + (" (optional)" if field.nullable else ""),
                field.values,
                index=None,
                placeholder="choose…",
                key=f"field_{field.name}",
            )
        else:
            # a typical student to start from: the KPI average of the column, when there is one
            number = int if field.kind == "integer" else float
            average = snapshot.kpis.get(f"avg_{field.name}")
            answers[field.raw] = place.number_input(
                field.label,
                min_value=None if field.minimum is None else number(field.minimum),
                max_value=None if field.maximum is None else number(field.maximum),
                value=None if average is None else number(round(float(average))),
                step=number(1),
                key=f"field_{field.name}",
            )
    submitted = st.form_submit_button("Predict", type="primary")

if submitted:
    empty = missing_answers(answers)
    if empty:
        st.error(f"Please fill in every field before predicting. Missing: {', '.join(empty)}.")
    else:
        try:
            with st.spinner("Cleaning the student with the warehouse's models and scoring…"):
                result = predict_students(answers_frame(answers)).iloc[0]
        except PredictionUnavailable as error:
            show_failure(error)
        else:
            if result["rejection_reasons"]:
                reasons = plain(result["rejection_reasons"])
                st.error(f"The warehouse would reject this student: {reasons}.")
            else:
                show_prediction(result)

st.header("A batch of students (CSV)")
st.write(
    "A CSV file with the export's columns (Exam_Score may be left out); the predictions come "
    "back as a CSV to download, with the reason for each row that could not be scored."
)
upload = st.file_uploader("CSV file", type=["csv"])
if upload is not None:
    try:
        students = pd.read_csv(upload, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        st.error(f"The file could not be read as CSV: {plain(error)}")
        st.stop()
    lacking = missing_columns(students)
    if lacking:
        st.error(f"The file lacks the export's columns: {', '.join(lacking)}.")
        st.stop()
    try:
        with st.spinner(f"Scoring {len(students):,} students…"):
            scored = predict_students(students)
    except PredictionUnavailable as error:
        show_failure(error)
        st.stop()
    failed = int((scored["rejection_reasons"] != "").sum())
    st.write(f"{len(scored) - failed:,} of {len(scored):,} students scored.")
    if failed:
        st.warning(f"{failed:,} rows could not be scored; see the rejection_reasons column.")
    st.dataframe(scored, hide_index=True)
    buffer = io.StringIO()
    scored.to_csv(buffer, index=False)
    st.download_button(
        "Download predictions (CSV)", buffer.getvalue(), "predictions.csv", mime="text/csv"
    )
