"""Score new students with the registered champion, through the ML step's scoring API.

The dashboard's form and batch upload build rows in the export's own columns (header names and
raw text, as in the CSV) and hand them to `predict_students`; the ML step (ml.scoring) cleans
them with the warehouse's own compiled dbt models and returns one row per input row, with the
reason for any row that fails validation. No rule is repeated here: the form's choices and
bounds come from `vars.spf_columns` (spf.columns), the one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from spf.columns import spf_columns
from spf.profile import ConfigurationError


class PredictionUnavailable(RuntimeError):
    """The champion cannot be used: the ML step is not installed or no model is registered."""


@dataclass(frozen=True)
class Field:
    """One input of the prediction form: an export column other than the target."""

    raw: str
    name: str
    kind: str
    label: str  # in people's words, with the unit: "Attendance (%)" (vars.spf_columns)
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False

    def to_raw_text(self, value: object) -> str:
        """The value as it would appear in the export's CSV."""
        if value is None:
            return ""
        if self.kind == "integer":
            return str(int(value))  # type: ignore[call-overload]
        if self.kind == "decimal":
            return f"{float(value):g}"  # type: ignore[arg-type]
        return str(value)


def form_fields() -> list[Field]:
    """The export's columns that describe a student (every column but the target)."""
    return [
        Field(
            raw=column["raw"],
            name=column["name"],
            kind=column["kind"],
            label=str(column["label"]) + (f" ({column['unit']})" if column.get("unit") else ""),
            values=tuple(column.get("values", ())),
            minimum=column.get("min"),
            maximum=column.get("max"),
            nullable=bool(column.get("nullable")),
        )
        for column in spf_columns()
        if not column.get("target") and column["name"] != "exam_score"
    ]


def missing_answers(answers: dict[str, object]) -> list[str]:
    """Labels of the form's required fields left empty (nullable categories may stay blank)."""
    return [
        field.label
        for field in form_fields()
        if answers.get(field.raw) in (None, "") and not field.nullable
    ]


def answers_frame(answers: dict[str, object]) -> pd.DataFrame:
    """One student as one row in the export's columns and raw text."""
    return pd.DataFrame(
        [{field.raw: field.to_raw_text(answers.get(field.raw)) for field in form_fields()}]
    )


def missing_columns(frame: pd.DataFrame) -> list[str]:
    """Export columns (other than the target) that an uploaded file lacks."""
    present = {str(column).strip() for column in frame.columns}
    return [field.raw for field in form_fields() if field.raw not in present]


def predict_students(students: pd.DataFrame) -> pd.DataFrame:
    """The students (export columns, raw text) with the prediction, its interval, the
    probability of scoring below the at-risk score, the three reasons (ml.scoring's
    OUTPUT_COLUMNS) and `rejection_reasons` added, one output row per input row, in input
    order. Numbers stay numbers (NaN where there is none); the rest is text, blank where there
    is none.

    Raises PredictionUnavailable, with the ML step's message, when no champion is registered or
    the rows cannot be cleaned at all (a row that fails a check only gets its reasons)."""
    try:
        from ml.scoring import score_students
    except ImportError as error:
        raise PredictionUnavailable(
            "the ML step's scoring API (ml.scoring) is not available in this installation"
        ) from error
    try:
        scored = score_students(students)
    except ConfigurationError as error:
        raise PredictionUnavailable(str(error)) from error
    # as text, blank where there is none (as the downloaded CSV shows it)
    text = [name for name in scored.columns if not pd.api.types.is_float_dtype(scored[name])]
    scored[text] = scored[text].astype("string").fillna("").astype(str)
    return pd.concat(
        [
            scored[["source_row_number"]],
            students.reset_index(drop=True),
            scored.drop(columns=["source_row_number"]),
        ],
        axis=1,
    )
