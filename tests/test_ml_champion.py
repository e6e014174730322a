"""A champion per warehouse, and its integrity.

Two DuckDB warehouses (and two Postgres databases on one server) share one MLflow store, as
warehouses of one machine do: a run on one never moves the other's champion, and `ml predict`
against a warehouse uses its own. The champion's files are checked when loaded: an altered or
foreign file is refused with one line. Predictions stay within the score's range."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT, write_rows
from tests.helpers import (
    REGISTERED_MODEL,
    Target,
    require_postgres,
    sample_slice,
    use_warehouse_in_process,
)

A_STUDENTS, B_STUDENTS = (1, 400), (401, 800)


@dataclass
class Pair:
    """Warehouses A and B with one MLflow store: A published first, then B."""

    a: Target
    b: Target
    a_before_b: tuple[str | None, dict[str, str] | None]  # A's alias and record before B ran
    students: Path  # a file of A's students, to score


def ml(target: Target, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m ml ...` against the target's published warehouse and store."""
    return subprocess.run(
        [sys.executable, "-m", "ml", *args], cwd=PROJECT_ROOT, env=target.env(),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def champion_of(target: Target) -> tuple[str | None, dict[str, str] | None]:
    return target.champion(), target.recorded_champion()


def published_pair(engine: str, directory: Path) -> Iterator[Pair]:
    store = directory / "store"
    store.mkdir()
    a = Target(engine, directory / "a", store=store)
    b = Target(engine, directory / "b", store=store)
    for target in (a, b):
        target.directory.mkdir()
    try:
        students = sample_slice(directory / "a_students.csv", *A_STUDENTS)
        result = a.run(students)
        assert result.returncode == 0, result.output[-3000:]
        a_before_b = champion_of(a)
        result = b.run(sample_slice(directory / "b_students.csv", *B_STUDENTS))
        assert result.returncode == 0, result.output[-3000:]
        yield Pair(a, b, a_before_b, students)
    finally:
        a.drop()
        b.drop()


@pytest.fixture(scope="module")
def duckdb_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from published_pair("duckdb", tmp_path_factory.mktemp("champions_duckdb"))


@pytest.fixture(scope="module")
def postgres_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    require_postgres()
    yield from published_pair("postgres", tmp_path_factory.mktemp("champions_postgres"))


def assert_own_champions(pair: Pair) -> None:
    """A's champion is as before B's run; B has one of its own, under another alias."""
    (a_version, a_record), (b_version, b_record) = champion_of(pair.a), champion_of(pair.b)
    assert (a_version, a_record) == pair.a_before_b
    assert a_version == a_record["model_version"]  # the alias and the record agree
    assert b_version == b_record["model_version"]
    assert a_version != b_version and pair.a.alias() != pair.b.alias()
    assert a_record["registered_model"] == REGISTERED_MODEL


def predicted_version(pair: Pair, directory: Path) -> set[str]:
    output = directory / "predictions.csv"
    result = ml(pair.a, "predict", "--input", str(pair.students), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    return set(pd.read_csv(output, dtype=str)["model_version"])


def test_a_run_on_duckdb_warehouse_b_never_moves_a_champion(duckdb_pair: Pair) -> None:
    assert_own_champions(duckdb_pair)


def test_ml_predict_against_a_uses_a_champion(duckdb_pair: Pair, tmp_path: Path) -> None:
    assert predicted_version(duckdb_pair, tmp_path) == {duckdb_pair.a_before_b[0]}


def test_ml_champion_prints_the_warehouse_alias_uri_version_and_fingerprint(
    duckdb_pair: Pair,
) -> None:
    a = duckdb_pair.a
    result = ml(a, "champion")
    assert result.returncode == 0, result.stdout + result.stderr
    record = a.recorded_champion()
    shown = dict(line.split(maxsplit=1) for line in result.stdout.splitlines())
    assert shown["warehouse"] == f"duckdb:{a.duckdb_path.resolve()}"
    assert shown["alias"] == a.alias()
    assert shown["model"] == f"URI    models:/{REGISTERED_MODEL}@{a.alias()}"
    assert shown["version"].startswith(f"{record['model_version']} (run {record['run_id']},")
    assert shown["fingerprint"].startswith(f"sha256:{record['fingerprint_sha256']}")
    # a pyfunc model from code: its code and artifacts, no pickled Python object
    assert shown["files"].split(", ") == [
        "MLmodel", "artifacts/calibration.json", "artifacts/pipeline.skops",
        "artifacts/scoring_sql.json", "conda.yaml", "python_env.yaml", "requirements.txt",
        "serving.py",
    ]  # fmt: skip
    assert shown["serve"] == "python -m ml serve [--port 5300] (make serve)"


def assert_a_run_without_a_model_keeps_the_champion(pair: Pair) -> None:
    """A run on A that registers no model (here --skip-ml) publishes A with its champion."""
    a, b = pair.a, pair.b
    b_before = champion_of(b)
    result = a.run(pair.students, "--skip-ml")
    assert result.returncode == 0, result.output[-3000:]
    assert f"champion: kept version {pair.a_before_b[0]}" in result.stdout
    assert champion_of(a) == pair.a_before_b
    assert champion_of(b) == b_before


def test_a_run_that_registers_no_model_keeps_the_warehouse_champion(duckdb_pair: Pair) -> None:
    assert_a_run_without_a_model_keeps_the_champion(duckdb_pair)


# -- the champion's integrity ----------------------------------------------------------------


def registered_file(pair: Pair, name: str) -> Iterator[Path]:
    """A file of A's registered model in the store's mlruns/ (`name`, relative to the model's
    MLmodel), restored byte for byte afterwards."""
    record = pair.a.recorded_champion()
    models = pair.a.store / "mlruns" / "models"
    (saved,) = [
        path.parent / name
        for path in models.glob("*/artifacts/MLmodel")
        if f"run_id: {record['run_id']}" in path.read_text()
    ]
    original = saved.read_bytes()
    try:
        yield saved
    finally:
        saved.write_bytes(original)


@pytest.fixture
def champion_file(duckdb_pair: Pair) -> Iterator[Path]:
    """A's fitted pipeline, saved with skops."""
    yield from registered_file(duckdb_pair, "artifacts/pipeline.skops")


def assert_refused_in_one_line(pair: Pair, directory: Path, version: str) -> None:
    output = directory / "predictions.csv"
    result = ml(pair.a, "predict", "--input", str(pair.students), "--output", str(output))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(
        f"error: Model '{REGISTERED_MODEL}' version {version} has changed since it was"
        " registered: its files' SHA-256 fingerprint is "
    )
    assert lines[0].endswith(
        "refusing to load it. Retrain (`make run`) or restore the MLflow store's artifacts"
    )
    assert not output.exists()


def test_a_champion_with_altered_weights_is_refused_in_one_line(
    duckdb_pair: Pair, champion_file: Path, tmp_path: Path
) -> None:
    data = bytearray(champion_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    champion_file.write_bytes(bytes(data))
    assert_refused_in_one_line(duckdb_pair, tmp_path, duckdb_pair.a_before_b[0])


def test_a_pickle_in_place_of_the_skops_file_is_refused_in_one_line(
    duckdb_pair: Pair, champion_file: Path, tmp_path: Path
) -> None:
    champion_file.write_bytes(pickle.dumps({"coef_": [1e9]}))
    assert_refused_in_one_line(duckdb_pair, tmp_path, duckdb_pair.a_before_b[0])


@pytest.mark.parametrize(
    "name", ["serving.py", "artifacts/calibration.json", "artifacts/scoring_sql.json", "MLmodel"]
)
def test_a_champion_with_any_other_file_altered_is_refused_in_one_line(
    duckdb_pair: Pair, tmp_path: Path, name: str
) -> None:
    """The served model's code, its calibration, its scoring SQL and its description are
    fingerprinted with the pipeline: a byte added to any of them is refused."""
    with contextmanager(registered_file)(duckdb_pair, name) as saved:
        saved.write_bytes(saved.read_bytes() + b"\n")
        assert_refused_in_one_line(duckdb_pair, tmp_path, duckdb_pair.a_before_b[0])


def test_predictions_for_extreme_valid_students_stay_within_the_score_range(
    duckdb_pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The most favourable valid student (168 hours of study a week, full attendance, ...) and
    the least favourable: the champion (a linear model on this data) extrapolates the first
    past 100; what it predicts is clipped to the score's range, 0 to 100."""
    from ml.features import feature_matrix, score_range
    from ml.scoring import clean, frame_rows, raw_frame
    from ml.tracking import load_champion

    best = {
        "Hours_Studied": "168", "Attendance": "100", "Parental_Involvement": "High",
        "Access_to_Resources": "High", "Extracurricular_Activities": "Yes", "Sleep_Hours": "24",
        "Previous_Scores": "100", "Motivation_Level": "High", "Internet_Access": "Yes",
        "Tutoring_Sessions": "100", "Family_Income": "High", "Teacher_Quality": "High",
        "School_Type": "Private", "Peer_Influence": "Positive", "Physical_Activity": "168",
        "Learning_Disabilities": "No", "Parental_Education_Level": "Postgraduate",
        "Distance_from_Home": "Near", "Gender": "Female",
    }  # fmt: skip
    worst = {
        **{name: "0" for name in best if best[name].isdigit()},
        "Parental_Involvement": "Low", "Access_to_Resources": "Low",
        "Extracurricular_Activities": "No", "Motivation_Level": "Low", "Internet_Access": "No",
        "Family_Income": "Low", "Teacher_Quality": "Low", "School_Type": "Public",
        "Peer_Influence": "Negative", "Learning_Disabilities": "Yes",
        "Parental_Education_Level": "High School", "Distance_from_Home": "Far",
        "Gender": "Male",
    }  # fmt: skip
    students = pd.DataFrame([best, worst])
    source = write_rows(
        tmp_path / "extreme.csv", [list(best), *students.astype(str).values.tolist()]
    )
    output = tmp_path / "predictions.csv"
    result = ml(duckdb_pair.a, "predict", "--input", str(source), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    predicted = pd.read_csv(output)
    assert predicted["rejection_reasons"].isna().all()  # both are valid students
    assert score_range() == (0.0, 100.0)
    assert predicted["predicted_exam_score"].between(0, 100).all(), predicted
    assert predicted["predicted_exam_score"].iloc[0] == 100.0

    # the clip is what holds it there: the champion itself predicts past 100
    use_warehouse_in_process(monkeypatch, duckdb_pair.a.env())
    champion = load_champion()
    accepted, _ = clean(raw_frame(frame_rows(students)))
    unclipped = champion.pipeline.predict(
        feature_matrix(accepted, champion.pipeline.feature_names_in_)
    )
    assert unclipped[0] > 100


# -- Postgres: two databases on one server -------------------------------------------------


def test_a_run_on_postgres_database_b_never_moves_a_champion(postgres_pair: Pair) -> None:
    assert_own_champions(postgres_pair)


def test_ml_predict_against_postgres_database_a_uses_its_champion(
    postgres_pair: Pair, tmp_path: Path
) -> None:
    assert predicted_version(postgres_pair, tmp_path) == {postgres_pair.a_before_b[0]}


def test_a_run_on_postgres_that_registers_no_model_keeps_the_database_champion(
    postgres_pair: Pair,
) -> None:
    assert_a_run_without_a_model_keeps_the_champion(postgres_pair)
