"""The warehouse on DuckDB, built by the main job from the sample, dirty and wrong files."""

from __future__ import annotations

from pathlib import Path

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


SNAPSHOT = {
    "reconciliation": "select * from marts.rpt_load_reconciliation",
    "kpis": "select * from marts.rpt_kpi_summary",
    "raw": "select count(*) as n, max(source_file) as f, max(loaded_at) as t"
    " from raw.student_performance_factors",
}


@pytest.fixture(scope="module")
def warehouse_then_wrong_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Build]:
    """A built warehouse's marts and raw table, then the same file after a wrong file."""
    directory = tmp_path_factory.mktemp("wrong_header")
    first = run_main_job(directory / "warehouse.duckdb", None, "--skip-ml")
    assert first.result.returncode == 0, first.output
    before = {name: first.query(sql) for name, sql in SNAPSHOT.items()}
    rows = sample_rows()
    rows[0] = [("Score" if name == "Exam_Score" else name) for name in rows[0]]
    wrong = write_rows(directory / "renamed_column.csv", rows)
    second = run_main_job(directory / "warehouse.duckdb", wrong, "--skip-ml")
    return before, second


def test_wrong_header_is_refused_with_a_clear_message(warehouse_then_wrong_file) -> None:
    _, refused = warehouse_then_wrong_file
    assert refused.result.returncode != 0
    assert "renamed_column.csv" in refused.output
    assert "missing columns:    Exam_Score" in refused.output
    assert "unexpected columns: Score" in refused.output
    assert "Traceback" not in refused.output


def test_wrong_header_leaves_the_warehouse_unchanged(warehouse_then_wrong_file) -> None:
    before, refused = warehouse_then_wrong_file
    for name, sql in SNAPSHOT.items():
        pd.testing.assert_frame_equal(before[name], refused.query(sql), obj=name)
    assert before["raw"]["f"].iloc[0].endswith("student_performance_factors.csv")


def test_missing_file_is_refused_without_a_traceback(tmp_path: Path) -> None:
    build = run_main_job(tmp_path / "warehouse.duckdb", tmp_path / "nowhere.csv", "--skip-ml")
    assert build.result.returncode != 0
    assert "nowhere.csv" in build.output and "not found" in build.output
    assert "Traceback" not in build.output


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    directory = tmp_path_factory.mktemp("dirty")
    rows = sample_rows()[:41]  # header and 40 students
    rows[3][0] = "abc"  # row 3: non-numeric hours studied
    rows[5][1] = "105"  # row 5: attendance out of range
    rows[8][2] = "Sometimes"  # row 8: unknown category
    rows[10] = rows[10][:19]  # row 10: short row, Exam_Score missing
    rows[12] = rows[12] + ["extra"]  # row 12: one field too many
    rows[15][11] = ""  # row 15: blank Teacher_Quality is allowed
    rows[20][2] = "  hIGh "  # row 20: odd case and padding are cleaned, not rejected
    path = write_rows(directory / "dirty.csv", rows, bom=True, crlf=True)
    build = run_main_job(directory / "warehouse.duckdb", path, "--skip-ml")
    assert build.result.returncode == 0, build.output
    return build


def test_dirty_file_rejects_bad_rows_with_reasons(dirty_build: Build) -> None:
    rejected = dirty_build.query(
        "select source_row_number, rejection_reasons from marts.rpt_rejected_rows"
        " order by source_row_number"
    )
    reasons = dict(zip(rejected["source_row_number"], rejected["rejection_reasons"], strict=True))
    assert reasons[3] == "hours_studied 'abc' is not a number"
    assert reasons[5] == "attendance_pct 105 is outside 0 to 100"
    assert reasons[8] == "parental_involvement 'Sometimes' is not one of Low, Medium, High"
    assert reasons[10] == "exam_score is missing"
    assert reasons[12].startswith("row could not be read (too many columns)")
    assert 15 not in reasons and 20 not in reasons


def test_dirty_file_loads_valid_rows_and_reconciles(dirty_build: Build) -> None:
    counts = dirty_build.query("select * from marts.rpt_load_reconciliation").iloc[0]
    assert counts["rows_received"] == 40
    assert counts["rows_accepted"] + counts["rows_rejected"] == 40
    assert counts["rows_rejected"] >= 5
    row_numbers = dirty_build.query("select source_row_number from staging.stg_spf__students")
    assert sorted(row_numbers["source_row_number"]) == list(range(1, 41))
    cleaned = dirty_build.query(
        "select parental_involvement from marts.dim_students where source_row_number = 20"
    )
    assert cleaned["parental_involvement"].tolist() == ["High"]


def test_bom_and_crlf_load_like_the_plain_file(tmp_path: Path, sample_warehouse: Build) -> None:
    path = write_rows(tmp_path / "excel.csv", sample_rows(), bom=True, crlf=True)
    build = run_main_job(tmp_path / "warehouse.duckdb", path, "--skip-ml")
    assert build.result.returncode == 0, build.output
    columns = "* exclude (source_file, loaded_at)"
    pd.testing.assert_frame_equal(
        build.query(f"select {columns} from marts.rpt_load_reconciliation"),
        sample_warehouse.query(f"select {columns} from marts.rpt_load_reconciliation"),
    )
    pd.testing.assert_frame_equal(
        build.query("select * from marts.rpt_kpi_summary"),
        sample_warehouse.query("select * from marts.rpt_kpi_summary"),
    )


def test_rerun_gives_the_same_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    query = "select * exclude (loaded_at) from marts.dim_students order by student_key"
    first = run_main_job(path, None, "--skip-ml")
    assert first.result.returncode == 0, first.output
    before = first.query(query)
    second = run_main_job(path, None, "--skip-ml")
    assert second.result.returncode == 0, second.output
    pd.testing.assert_frame_equal(before, second.query(query))


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
