"""The same project on DuckDB, Postgres and Spark: the full main job on each, parity of the
marts from the same input, and the read-only BI role on Postgres."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import pytest

from tests.conftest import PROJECT_ROOT, project_env, sample_rows, write_rows
from tests.helpers import drop_postgres_database

REQUIRE_ALL = os.environ.get("SPF_REQUIRE_ALL_ENGINES") == "1"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MARTS = ["rpt_kpi_summary", "rpt_load_reconciliation", "rpt_rejected_rows", "dim_students"]
# every other mart, compared row for row (numbers to 1e-9); landing times differ by design
OTHER_MARTS = [
    "fct_exam_results",
    "ml_exam_score_features",
    "rpt_exam_score_by_attendance_and_tutoring",
    "rpt_exam_score_by_school_type",
    "rpt_exam_score_by_hours_studied",
    "rpt_exam_score_by_sleep_hours",
    "rpt_exam_score_by_extracurricular",
    "rpt_exam_score_factor_ranking",
    "rpt_original_claims",
]
IGNORED_COLUMNS = {"loaded_at"}


def missing_engine(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (SPF_REQUIRE_ALL_ENGINES=1: every engine must run)")
    pytest.skip(reason)


def run_job(env: dict[str, str], target: str, raw_csv: Path) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "spf", "run", "--target", target, "--skip-docs"]
    return subprocess.run(
        [*args, "--raw-csv", str(raw_csv)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip


@pytest.fixture(scope="module")
def parity_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus dirty rows of every kind, so rejected rows are compared too."""
    rows = sample_rows()
    extra = [list(row) for row in rows[1:7]]
    extra[0][0] = "abc"
    extra[1][1] = "105"
    extra[2][2] = "Sometimes"
    extra[3] = extra[3][:19]
    extra[4] = extra[4] + ["extra"]
    extra[5][2] = "  hIGh "
    path = tmp_path_factory.mktemp("parity") / "parity.csv"
    return write_rows(path, rows + extra, bom=True, crlf=True)


@pytest.fixture(scope="module")
def duckdb_marts(parity_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    directory = tmp_path_factory.mktemp("duckdb_engine")
    env = project_env(directory / "warehouse.duckdb", directory)
    result = run_job(env, "duckdb", parity_csv)
    assert result.returncode == 0, result.stdout + result.stderr
    with duckdb.connect(str(directory / "warehouse.duckdb"), read_only=True) as connection:
        return {
            name: connection.execute(f"select * from marts.{name}").df()
            for name in MARTS + OTHER_MARTS
        }


@pytest.fixture(scope="module")
def postgres_database(parity_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own, built by the main job on Postgres, dropped afterwards."""
    try:
        psycopg2.connect(dbname="postgres", **PG).close()
    except psycopg2.OperationalError as error:
        missing_engine(f"Postgres is not reachable on 127.0.0.1:5432: {error}")
    name = f"spf_test_{uuid.uuid4().hex[:8]}"
    directory = tmp_path_factory.mktemp("postgres_engine")
    env = project_env(directory / "unused.duckdb", directory)
    env.update(SPF_PG_DATABASE=name, SPF_PG_HOST=PG["host"], SPF_PG_USER=PG["user"])
    env["SPF_BI_PASSWORD"] = "bi-test-password"
    try:
        result = run_job(env, "postgres", parity_csv)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"created database {name}" in result.stdout
        yield name
    finally:
        drop_postgres_database(name)


@pytest.fixture(scope="module")
def postgres_marts(postgres_database: str) -> dict:
    with psycopg2.connect(dbname=postgres_database, **PG) as connection:
        return {
            name: pd.read_sql(f"select * from marts.{name}", connection)
            for name in MARTS + OTHER_MARTS
        }


@pytest.fixture(scope="module")
def spark_marts(parity_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("java") is None:
        missing_engine("Java is not installed: Spark needs a JVM (Java 17)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing_engine("pyspark is not installed (pip install -e '.[spark]')")
    directory = tmp_path_factory.mktemp("spark_engine")
    env = project_env(directory / "unused.duckdb", directory)
    env["SPF_SPARK_DIR"] = str(directory / ".spark")
    result = run_job(env, "spark", parity_csv)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    tables = directory / ".spark" / "warehouse" / "marts.db"
    with duckdb.connect() as connection:  # Spark's tables are Parquet files: read them directly
        return {
            name: connection.execute(
                f"select * from read_parquet('{tables / name}/*.parquet')"
            ).df()
            for name in MARTS + OTHER_MARTS
        }


def _normalised(frame: pd.DataFrame) -> list[tuple]:
    """Rows as tuples of floats or strings, sorted, so engines' types and orders compare."""

    def cell(value: object) -> object:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return "null"
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return str(bool(value))
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value)

    columns = sorted(c for c in frame.columns if c not in IGNORED_COLUMNS)
    rows = [tuple(cell(v) for v in row) for row in frame[columns].itertuples(index=False)]
    return sorted(
        rows, key=lambda row: tuple(f"{v:.6f}" if isinstance(v, float) else v for v in row)
    )


def assert_same_rows(left: pd.DataFrame, right: pd.DataFrame, name: str) -> None:
    assert sorted(left.columns) == sorted(right.columns), name
    left_rows, right_rows = _normalised(left), _normalised(right)
    assert len(left_rows) == len(right_rows), name
    for left_row, right_row in zip(left_rows, right_rows, strict=True):
        for left_value, right_value in zip(left_row, right_row, strict=True):
            if isinstance(left_value, float) and isinstance(right_value, float):
                assert right_value == pytest.approx(left_value, abs=1e-9, nan_ok=True), name
            else:
                assert left_value == right_value, name


def assert_same_marts(left: dict, right: dict, engine: str) -> None:
    kpi_left, kpi_right = left["rpt_kpi_summary"].iloc[0], right["rpt_kpi_summary"].iloc[0]
    for column in kpi_left.index:
        assert float(kpi_right[column]) == pytest.approx(float(kpi_left[column]), abs=1e-9), (
            f"{engine}: {column}"
        )
    counts = ["rows_received", "rows_accepted", "rows_rejected", "is_reconciled"]
    assert left["rpt_load_reconciliation"][counts].astype(int).to_dict("records") == right[
        "rpt_load_reconciliation"
    ][counts].astype(int).to_dict("records"), engine
    rejected = ["source_row_number", "rejection_reasons"]
    by_row = lambda frame: (  # noqa: E731
        frame[rejected].astype({"source_row_number": int}).sort_values("source_row_number")
    )
    assert (
        by_row(left["rpt_rejected_rows"]).values.tolist()
        == by_row(right["rpt_rejected_rows"]).values.tolist()
    ), engine
    keys = lambda frame: sorted(frame["student_key"])  # noqa: E731
    assert keys(left["dim_students"]) == keys(right["dim_students"]), engine
    for name in OTHER_MARTS:
        assert_same_rows(left[name], right[name], f"{engine}: {name}")


def test_parity_input_has_rejected_rows(duckdb_marts: dict) -> None:
    assert len(duckdb_marts["rpt_rejected_rows"]) == 6  # 5 dirty rows and the sample's 101
    assert duckdb_marts["rpt_load_reconciliation"]["is_reconciled"].all()


def test_postgres_gives_the_same_marts_as_duckdb(duckdb_marts: dict, postgres_marts: dict) -> None:
    assert_same_marts(duckdb_marts, postgres_marts, "postgres")


def test_spark_gives_the_same_marts_as_duckdb(duckdb_marts: dict, spark_marts: dict) -> None:
    assert_same_marts(duckdb_marts, spark_marts, "spark")


def test_bi_role_reads_the_marts(postgres_database: str) -> None:
    with psycopg2.connect(
        dbname=postgres_database, password="bi-test-password",
        **{**PG, "user": f"{postgres_database}_reader"},
    ) as connection, connection.cursor() as cursor:  # fmt: skip
        cursor.execute("select student_count from marts.rpt_kpi_summary")
        assert cursor.fetchone()[0] > 0
        cursor.execute("select count(*) from marts.dim_students")
        assert cursor.fetchone()[0] > 0


@pytest.mark.parametrize(
    "relation",
    [
        "raw.student_performance_factors",
        "staging.stg_spf__students",
        "intermediate.int_students_featured",
        "ml.predictions",
    ],
)
def test_bi_role_cannot_read_outside_the_marts(postgres_database: str, relation: str) -> None:
    connection = psycopg2.connect(
        dbname=postgres_database,
        password="bi-test-password",
        **{**PG, "user": f"{postgres_database}_reader"},
    )
    try:
        with connection.cursor() as cursor, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cursor.execute(f"select * from {relation} limit 1")
    finally:
        connection.close()


def test_postgres_refuses_a_wrong_file_and_keeps_the_raw_table(
    postgres_database: str, tmp_path: Path
) -> None:
    rows = sample_rows()
    rows[0] = [name for name in rows[0] if name != "Gender"]
    wrong = write_rows(tmp_path / "no_gender.csv", rows)
    env = project_env(tmp_path / "unused.duckdb", tmp_path)
    env.update(SPF_PG_DATABASE=postgres_database, SPF_TARGET="postgres")
    result = subprocess.run(
        [sys.executable, "-m", "spf", "land", "--raw-csv", str(wrong)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no_gender.csv" in result.stderr and "missing columns:    Gender" in result.stderr
    assert "Traceback" not in result.stderr
    with psycopg2.connect(dbname=postgres_database, **PG) as connection:
        landed = pd.read_sql(
            "select count(*) as n, max(source_file) as f from raw.student_performance_factors",
            connection,
        ).iloc[0]
    assert landed["n"] == len(sample_rows()) + 5  # the parity file, not the refused one
    assert landed["f"].endswith("parity.csv")
