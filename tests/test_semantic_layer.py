"""The semantic layer: `mf query` gives the numbers of rpt_kpi_summary and the findings marts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT, Build, project_env

KPIS = [
    "student_count",
    "avg_exam_score",
    "avg_attendance_pct",
    "avg_sleep_hours",
    "avg_hours_studied",
    "avg_physical_activity_hours",
    "avg_tutoring_sessions",
    "avg_previous_score",
    "extracurricular_participation_pct",
    "internet_access_pct",
    "public_school_pct",
]


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@pytest.fixture(scope="module")
def mf_query(sample_warehouse: Build, tmp_path_factory: pytest.TempPathFactory):
    """Runs `mf query` against the sample warehouse.

    MetricFlow reads target/semantic_manifest.json of the project it runs in, whose relations
    name the DuckDB file's database; a copy of the project parsed for the sample warehouse keeps
    the working tree's target/ untouched."""
    project = tmp_path_factory.mktemp("semantic") / "project"
    project.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    for folder in ("models", "macros", "seeds", "analyses"):
        shutil.copytree(PROJECT_ROOT / folder, project / folder)
    shutil.copytree(
        PROJECT_ROOT / "tests", project / "tests", ignore=shutil.ignore_patterns("*.py", "__*")
    )
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    # mf reads <project>/target/semantic_manifest.json whatever DBT_TARGET_PATH says
    parsed = subprocess.run(
        [tool("dbt"), "parse", "--quiet", "--target-path", str(project / "target")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr

    def query(metrics: list[str], group_by: list[str] | None = None) -> pd.DataFrame:
        output = project / "result.csv"
        args = [tool("mf"), "query", "--metrics", ",".join(metrics), "--csv", str(output)]
        if group_by:
            args += ["--group-by", ",".join(group_by)]
        result = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0 and output.exists(), result.stdout + result.stderr
        return pd.read_csv(output)

    return query


def test_metrics_equal_the_kpi_mart(mf_query, sample_warehouse: Build) -> None:
    metrics = mf_query(KPIS).iloc[0]
    kpis = sample_warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    assert metrics["student_count"] == kpis["student_count"]
    for name in KPIS[1:]:
        assert metrics[name] == pytest.approx(kpis[name], rel=1e-12), name


@pytest.mark.parametrize(
    ("dimension", "mart", "key"),
    [
        ("student__school_type", "rpt_exam_score_by_school_type", "school_type"),
        (
            "student__has_extracurricular_activities",
            "rpt_exam_score_by_extracurricular",
            "has_extracurricular_activities",
        ),
    ],
)
def test_metrics_by_dimension_equal_the_findings_mart(
    mf_query, sample_warehouse: Build, dimension: str, mart: str, key: str
) -> None:
    metrics = mf_query(["avg_exam_score", "student_count"], [dimension])
    metrics = metrics.rename(columns={dimension: key}).set_index(key).sort_index()
    findings = sample_warehouse.query(f"select * from marts.{mart}").set_index(key).sort_index()
    assert metrics.index.astype(str).tolist() == findings.index.astype(str).tolist()
    assert metrics["student_count"].tolist() == findings["student_count"].tolist()
    assert metrics["avg_exam_score"].to_numpy() == pytest.approx(
        findings["mean_exam_score"].to_numpy(), rel=1e-12
    )


def test_metric_time_is_the_landing_day(mf_query, sample_warehouse: Build) -> None:
    by_day = mf_query(["student_count"], ["metric_time__day"])
    loaded_at = sample_warehouse.query("select max(loaded_at) as t from marts.dim_students")
    assert len(by_day) == 1
    assert pd.Timestamp(by_day["metric_time__day"].iloc[0]) == loaded_at["t"].iloc[0].normalize()


def test_the_loads_metrics_are_the_load_historys(mf_query, sample_warehouse: Build) -> None:
    """`metric_time` over the load history: each published load's day and its own KPIs."""
    by_day = mf_query(["loads", "students_loaded", "load_avg_exam_score"], ["metric_time__day"])
    history = sample_warehouse.query("select * from marts.rpt_load_history")
    assert len(by_day) == len(history) == 1
    assert by_day["loads"].iloc[0] == 1
    assert by_day["students_loaded"].iloc[0] == history["student_count"].iloc[0]
    assert by_day["load_avg_exam_score"].iloc[0] == pytest.approx(
        history["avg_exam_score"].iloc[0], rel=1e-12
    )
    day = pd.Timestamp(by_day["metric_time__day"].iloc[0])
    assert day == history["loaded_at"].iloc[0].normalize()
