"""The headline KPIs of marts.rpt_kpi_summary, in the order they are shown, with their labels."""

from __future__ import annotations

KPI_LABELS = {
    "student_count": "students",
    "avg_attendance_pct": "average attendance (%)",
    "avg_exam_score": "average exam score",
    "avg_sleep_hours": "average sleep (hours/night)",
    "avg_hours_studied": "average hours studied (/week)",
    "avg_physical_activity_hours": "average physical activity (hours/week)",
    "extracurricular_participation_pct": "extracurricular participation (%)",
}
