"""The warehouse on DuckDB, built by the main job from the sample, dirty and wrong files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import SAMPLE_CSV, Build, run_main_job, sample_rows, write_rows

EXPECTED_SCHEMAS = {"raw", "staging", "intermediate", "marts"}


def test_sample_counts_reconcile(sample_warehouse: Build) -> None:
    counts = sample_warehouse.query("select * from marts.rpt_load_reconciliation").iloc[0]
    assert counts["rows_received"] == len(sample_rows()) - 1
    assert counts["rows_received"] == counts["rows_accepted"] + counts["rows_rejected"]
    assert counts["is_reconciled"]
    rejected = sample_warehouse.query("select * from marts.rpt_rejected_rows")
    assert rejected["rejection_reasons"].tolist() == ["exam_score 101 is outside 0 to 100"]
    assert rejected["raw_record"].iloc[0].endswith(",101")


def test_sample_kpis_match_an_independent_computation(sample_warehouse: Build) -> None:
    frame = pd.read_csv(SAMPLE_CSV)
    accepted = frame[frame["Exam_Score"] <= 100]
    kpis = sample_warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    assert kpis["student_count"] == len(accepted)
    expected = {
        "avg_attendance_pct": accepted["Attendance"].mean(),
        "avg_exam_score": accepted["Exam_Score"].mean(),
        "avg_sleep_hours": accepted["Sleep_Hours"].mean(),
        "avg_hours_studied": accepted["Hours_Studied"].mean(),
        "avg_physical_activity_hours": accepted["Physical_Activity"].mean(),
        "extracurricular_participation_pct": 100
        * (accepted["Extracurricular_Activities"] == "Yes").mean(),
    }
    for column, value in expected.items():
        assert kpis[column] == pytest.approx(value, abs=1e-9), column


def test_schemas_are_named_exactly(sample_warehouse: Build) -> None:
    schemas = set(
        sample_warehouse.query("select distinct table_schema from information_schema.tables")[
            "table_schema"
        ]
    )
    assert EXPECTED_SCHEMAS <= schemas
    assert not {s for s in schemas if s.startswith("main_")}


def test_star_schema_fact_refers_to_dimension(sample_warehouse: Build) -> None:
    orphans = sample_warehouse.query(
        "select count(*) as n from marts.fct_exam_results as fct"
        " left join marts.dim_students as dim on fct.student_key = dim.student_key"
        " where dim.student_key is null"
    )
    assert orphans["n"].iloc[0] == 0
    features = sample_warehouse.query("select * from marts.ml_exam_score_features")
    assert (
        len(features)
        == sample_warehouse.query("select count(*) as n from marts.dim_students")["n"].iloc[0]
    )
    assert features["student_key"].is_unique


def test_missing_categories_are_kept_and_flagged(sample_warehouse: Build) -> None:
    frame = pd.read_csv(SAMPLE_CSV)
    accepted = frame[frame["Exam_Score"] <= 100]
    flagged = sample_warehouse.query(
        "select count(*) filter (where is_teacher_quality_missing) as teacher,"
        " count(*) filter (where teacher_quality is null) as teacher_null"
        " from marts.dim_students"
    ).iloc[0]
    assert flagged["teacher"] == accepted["Teacher_Quality"].isna().sum() > 0
    assert flagged["teacher_null"] == flagged["teacher"]


# Wrong, renamed and missing headers, missing files, dirty rows (non-numeric, out-of-range,
# unknown category, short and long rows, odd case), BOM and CRLF: tests/corpus.py, exercised on
# DuckDB and Postgres by tests/test_corpus.py.


def test_rerun_keeps_the_raw_table_and_gives_the_same_warehouse(tmp_path: Path) -> None:
    """A run without a file keeps the published raw table (landed once, by the first run) and
    builds the same warehouse, with a reader holding the old file open all the while."""
    path = tmp_path / "warehouse.duckdb"
    query = "select * from marts.dim_students order by student_key"
    raw = "select count(*) as n, max(loaded_at) as loaded_at from raw.student_performance_factors"
    first = run_main_job(path, None, "--skip-ml")
    assert first.result.returncode == 0, first.output
    before, raw_before = first.query(query), first.query(raw)
    with duckdb.connect(str(path), read_only=True) as held:  # a BI tool, the DuckDB CLI ...
        second = run_main_job(path, None, "--skip-ml")
        assert second.result.returncode == 0, second.output
        assert "raw table kept as published" in second.output
        assert held.execute("select count(*) from marts.dim_students").fetchone()[0] == len(before)
    pd.testing.assert_frame_equal(before, second.query(query))
    pd.testing.assert_frame_equal(raw_before, second.query(raw))  # not landed again


REAL_KPIS = {
    "avg_attendance_pct": 79.98,
    "avg_sleep_hours": 7.03,
    "avg_hours_studied": 19.98,
    "avg_physical_activity_hours": 2.97,
    "avg_exam_score": 67.23,  # 67.24 with the score of 101, which the warehouse rejects
    "extracurricular_participation_pct": 59.60,
}


def test_real_export_counts(real_warehouse: Build) -> None:
    counts = real_warehouse.query("select * from marts.rpt_load_reconciliation").iloc[0]
    assert counts["rows_received"] == 6607
    assert counts["rows_accepted"] == 6606
    assert counts["rows_rejected"] == 1
    assert counts["is_reconciled"]


def test_real_export_kpis(real_warehouse: Build) -> None:
    kpis = real_warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    for column, expected in REAL_KPIS.items():
        assert kpis[column] == pytest.approx(expected, abs=0.01), column


def test_reordered_columns_land_by_name(tmp_path: Path, sample_warehouse: Build) -> None:
    rows = [list(reversed(row)) for row in sample_rows()]
    path = write_rows(tmp_path / "reordered.csv", rows)
    build = run_main_job(tmp_path / "warehouse.duckdb", path, "--skip-ml")
    assert build.result.returncode == 0, build.output
    pd.testing.assert_frame_equal(
        build.query("select * from marts.rpt_kpi_summary"),
        sample_warehouse.query("select * from marts.rpt_kpi_summary"),
    )
