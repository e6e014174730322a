"""The findings marts and how to show each one: one definition for the dashboard and the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Finding:
    """One findings mart: its question, how to order its groups and how to name each group."""

    key: str
    table: str
    title: str
    question: str
    order_by: tuple[str, ...]
    label: Callable[[pd.Series], str]

    def groups(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The mart's rows in display order, with a readable `group_label` column."""
        ordered = frame.sort_values(list(self.order_by)).reset_index(drop=True)
        return ordered.assign(group_label=ordered.apply(self.label, axis=1))


def _yes_no(row: pd.Series) -> str:
    if row["has_extracurricular_activities"]:
        return "extracurricular activities"
    return "no extracurricular activities"


FINDINGS: tuple[Finding, ...] = (
    Finding(
        key="attendance_tutoring",
        table="rpt_exam_score_by_attendance_and_tutoring",
        title="Attendance and tutoring",
        question="How do attendance and tutoring sessions go with the exam score?",
        order_by=("min_attendance_pct", "min_tutoring_sessions"),
        label=lambda row: f"attendance {row['attendance_band']} %, {row['tutoring_band']} tutoring",
    ),
    Finding(
        key="school_type",
        table="rpt_exam_score_by_school_type",
        title="Public vs private school",
        question="Do public-school students outperform private-school students?",
        order_by=("school_type",),
        label=lambda row: f"{row['school_type']} school",
    ),
    Finding(
        key="hours_studied",
        table="rpt_exam_score_by_hours_studied",
        title="Hours studied per week",
        question="How does the exam score change with weekly study hours?",
        order_by=("min_hours_studied",),
        label=lambda row: f"{row['hours_studied_band']} hours/week",
    ),
    Finding(
        key="sleep_hours",
        table="rpt_exam_score_by_sleep_hours",
        title="Sleep per night",
        question="Do students who sleep less score higher?",
        order_by=("sleep_hours",),
        label=lambda row: f"{int(row['sleep_hours'])} hours of sleep",
    ),
    Finding(
        key="extracurricular",
        table="rpt_exam_score_by_extracurricular",
        title="Extracurricular activities",
        question="Do extracurricular activities go with better scores?",
        order_by=("has_extracurricular_activities",),
        label=_yes_no,
    ),
)

RANKING_TABLE = "rpt_exam_score_factor_ranking"
CLAIMS_TABLE = "rpt_original_claims"
