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

page_header("Predict an exam score")
snapshot = load_snapshot()
st.caption(
    "The registered champion scores the student after the warehouse's own cleaning and checks; "
    "a value the warehouse would reject comes back with the reason."
)


def show_failure(error: Exception) -> None:
    st.error(f"No prediction could be made: {plain(error)}")


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
                st.metric("predicted exam score", f"{result['predicted_exam_score']:.1f}")
                st.caption(f"Champion model version {plain(result['model_version'])}.")

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
