"""`make report`: one self-contained HTML file whose sentences and charts come from the marts."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import duckdb
import pytest

from insights import sentences
from insights.data import read_snapshot
from insights.findings import FINDINGS
from insights.report import format_kpi, render
from tests.conftest import PROJECT_ROOT, Build, project_env

EXTERNAL = re.compile(r"<script|<link|<img|<iframe|@import|url\(|src=|https?://", re.IGNORECASE)


@pytest.fixture(scope="module")
def report(sample_warehouse: Build, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The report of the sample warehouse, written by the command `make report` runs."""
    output = tmp_path_factory.mktemp("report") / "report.html"
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    result = subprocess.run(
        [sys.executable, "-m", "insights.report", "--output", str(output)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return output.read_text(encoding="utf-8")


def test_report_is_one_self_contained_file(report: str) -> None:
    assert report.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(report), EXTERNAL.search(report)
    # the ranking, five findings, the importances and the residuals, all as inline SVG
    assert report.count("<svg") == 1 + len(FINDINGS) + 2


def test_report_shows_the_marts_numbers(report: str, sample_warehouse: Build) -> None:
    kpis = sample_warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    for column in ("student_count", "avg_exam_score", "avg_attendance_pct"):
        assert f">{format_kpi(column, kpis[column])}</div>" in report
    for finding in FINDINGS:
        assert f"<h3>{finding.title}</h3>" in report
    claims = sample_warehouse.query("select * from marts.rpt_original_claims")
    for claim in claims.itertuples():
        assert f"{claim.claim}" in report
        assert sentences.points(claim.difference, signed=True) in report
    metrics = sample_warehouse.query("select * from ml.model_metrics where is_champion")
    assert f"The champion, {metrics['model_name'].iloc[-1]}" in report
    # how sure it is: the interval's hold-out coverage and width, the probability's Brier score
    champion = metrics.iloc[-1]
    assert f"it held {champion['interval_coverage'] * 100:.1f} % of the actual scores" in report
    assert f"a mean width of {champion['interval_mean_width']:.2f} points" in report
    assert f"<td>{champion['brier_score']:.4f}</td>" in report
    counts = sample_warehouse.query("select * from marts.rpt_load_reconciliation").iloc[0]
    assert f"{counts['rows_received']:,} rows received" in report


def test_sentences_follow_the_numbers(sample_warehouse: Build, monkeypatch) -> None:
    monkeypatch.setenv("SPF_DUCKDB_PATH", str(sample_warehouse.duckdb_path))
    snapshot = read_snapshot()
    finding = FINDINGS[1]  # public vs private
    groups = snapshot.findings[finding.key].copy()
    groups["is_different_from_overall"] = False
    assert "No group differs from the overall mean" in sentences.finding_sentence(finding, groups)
    groups["is_different_from_overall"] = True
    groups["mean_exam_score"] = [60.0, 75.5]
    text = sentences.finding_sentence(finding, groups)
    assert "from 60.00" in text and "to 75.50" in text
    assert "Every group's mean differs" in text

    claim = snapshot.claims.iloc[0].copy()
    claim["difference"], claim["verdict"] = -1.25, "contradicted: the difference goes the other way"
    text = sentences.claim_sentence(claim)
    assert "−1.25" in text and "contradicted" in text


def test_report_without_a_trained_model(sample_warehouse: Build, monkeypatch) -> None:
    monkeypatch.setenv("SPF_DUCKDB_PATH", str(sample_warehouse.duckdb_path))
    snapshot = dataclasses.replace(
        read_snapshot(), model_metrics=None, feature_importance=None, predictions=None
    )
    html = render(snapshot)
    assert "No exam-score model has been trained yet" in html
    assert html.count("<svg") == 1 + len(FINDINGS)


def test_report_with_one_load_says_so_without_a_chart(report: str, sample_warehouse: Build):
    section = report[report.index("<h2>Loads</h2>") : report.index("<h2>Method</h2>")]
    load = sample_warehouse.query("select * from marts.rpt_load_history").iloc[0]
    name = f"Load 1 (student_performance_factors.csv, landed {sentences.landed(load['loaded_at'])})"
    students = f"{load['student_count']:,.0f} students"
    assert f"<p>{name} is the only load so far: {students}.</p>" in section
    assert f"<p>{escape(sentences.ONE_LOAD_SO_FAR)}</p>" in section and "<svg" not in section
    assert f"<td>{load['rows_received']:,}</td>" in section  # the table of loads, one row
    assert f"{name} is the first load of this warehouse: there is nothing to compare" in section


def test_report_before_any_recorded_load(sample_warehouse: Build, monkeypatch) -> None:
    """A plain `dbt build` records no load: the section says so, and nothing else."""
    monkeypatch.setenv("SPF_DUCKDB_PATH", str(sample_warehouse.duckdb_path))
    snapshot = read_snapshot()
    snapshot = dataclasses.replace(snapshot, load_history=snapshot.load_history.head(0))
    html = render(snapshot)
    section = html[html.index("<h2>Loads</h2>") : html.index("<h2>Method</h2>")]
    sentence = escape(sentences.loads_sentence(snapshot.load_history))
    assert section == f"<h2>Loads</h2><p>{sentence}</p>"
    assert "No load has been recorded yet: `make run`" in section


def test_report_explains_a_missing_warehouse(tmp_path: Path) -> None:
    result = run_report(project_env(tmp_path / "none.duckdb", tmp_path), tmp_path / "r.html")
    assert result.returncode == 1
    assert "run `make run`" in result.stderr
    assert not (tmp_path / "r.html").exists()


def run_report(env: dict[str, str], output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "insights.report", "--output", str(output)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_report_explains_a_duckdb_file_another_process_writes(tmp_path: Path) -> None:
    database = tmp_path / "busy.duckdb"
    with duckdb.connect(str(database)):  # a writer holds the file, as `make run` does
        result = run_report(project_env(database, tmp_path), tmp_path / "r.html")
    assert result.returncode == 1
    assert "another process is probably writing it" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_explains_an_unreachable_postgres(tmp_path: Path) -> None:
    env = project_env(tmp_path / "none.duckdb", tmp_path)
    env.update(SPF_TARGET="postgres", SPF_PG_HOST="127.0.0.1", SPF_PG_PORT="1")
    result = run_report(env, tmp_path / "r.html")
    assert result.returncode == 1
    assert "Cannot reach the Postgres warehouse at postgresql://" in result.stderr
    assert "SPF_PG_HOST" in result.stderr
    assert "Traceback" not in result.stderr
