"""`python -m ml predict`: new students scored by the registered champion, cleaned by dbt."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from ml.predict import write_atomically
from tests.conftest import SAMPLE_CSV, Build, sample_rows, write_rows
from tests.helpers import run_ml


def predict(
    build: Build, directory: Path, source: Path, output: Path | None = None
) -> tuple[pd.DataFrame, str]:
    """Score `source` with the champion of `build` into `output` (default: predictions.csv in
    `directory`); the CSV read back, and the command's output."""
    output = output or directory / "predictions.csv"
    result = run_ml(
        build.duckdb_path.parent,
        build.duckdb_path,
        "predict", "--input", str(source), "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return pd.read_csv(output, dtype={"student_key": "string"}), result.stdout


def warehouse_predictions(build: Build) -> pd.DataFrame:
    return build.query(
        "select features.source_row_number, predictions.*"
        " from ml.predictions as predictions"
        " inner join marts.ml_exam_score_features as features"
        " on predictions.student_key = features.student_key"
    )


@pytest.fixture(scope="module")
def scored_sample(sample_warehouse: Build, tmp_path_factory) -> tuple[pd.DataFrame, str]:
    return predict(sample_warehouse, tmp_path_factory.mktemp("predict_sample"), SAMPLE_CSV)


def test_predicting_the_sample_reproduces_ml_predictions_row_for_row(
    scored_sample, sample_warehouse: Build
) -> None:
    scored, _ = scored_sample
    expected = warehouse_predictions(sample_warehouse)
    accepted = scored[scored["rejection_reasons"].isna()]
    assert len(scored) == len(sample_rows()) - 1
    assert scored["source_row_number"].tolist() == list(range(1, len(scored) + 1))
    merged = accepted.merge(expected, on="student_key", suffixes=("", "_warehouse"))
    assert len(merged) == len(accepted) == len(expected)
    assert (merged["source_row_number"] == merged["source_row_number_warehouse"]).all()
    difference = (merged["predicted_exam_score"] - merged["predicted_exam_score_warehouse"]).abs()
    assert difference.max() < 1e-9
    assert (merged["run_id"] == merged["run_id_warehouse"]).all()


def test_rows_that_fail_validation_come_back_with_their_reason(scored_sample) -> None:
    scored, stdout = scored_sample
    rejected = scored[scored["rejection_reasons"].notna()]
    assert rejected["rejection_reasons"].tolist() == ["exam_score 101 is outside 0 to 100"]
    assert rejected["predicted_exam_score"].isna().all()
    assert "scored 3,999 students and rejected 1 row" in stdout


@pytest.fixture(scope="module")
def scored_without_scores(
    sample_warehouse: Build, tmp_path_factory
) -> tuple[pd.DataFrame, list[list[str]]]:
    """The sample's first 40 students without Exam_Score, some of them spoiled."""
    directory = tmp_path_factory.mktemp("predict_without_scores")
    rows = [row[:-1] for row in sample_rows()[:41]]
    assert rows[0][-1] == "Gender"
    rows[3][0] = "abc"  # hours studied not a number
    rows[5][1] = "105"  # attendance out of range
    rows[8][2] = "Sometimes"  # unknown category
    rows[10] = rows[10][:15]  # a short row: the last four columns missing
    rows[12][11] = ""  # a blank teacher quality: allowed, imputed
    source = write_rows(directory / "new_students.csv", rows)
    scored, _ = predict(sample_warehouse, directory, source)
    return scored, rows


def test_a_file_without_exam_score_is_scored(scored_without_scores, sample_warehouse) -> None:
    scored, rows = scored_without_scores
    assert scored["source_row_number"].tolist() == list(range(1, len(rows)))
    accepted = scored[scored["rejection_reasons"].isna()].set_index("source_row_number")
    assert len(accepted) == 36 and 12 in accepted.index
    # unchanged students get the prediction the warehouse holds for them
    expected = warehouse_predictions(sample_warehouse).set_index("source_row_number")
    unchanged = accepted.index.difference([12])
    difference = (
        accepted.loc[unchanged, "predicted_exam_score"]
        - expected.loc[unchanged, "predicted_exam_score"]
    ).abs()
    assert difference.max() < 1e-9


def test_bad_rows_of_a_file_without_exam_score_get_their_reasons(scored_without_scores) -> None:
    scored, _ = scored_without_scores
    reasons = scored.set_index("source_row_number")["rejection_reasons"].dropna().to_dict()
    assert reasons == {
        3: "hours_studied 'abc' is not a number",
        5: "attendance_pct 105 is outside 0 to 100",
        8: "parental_involvement 'Sometimes' is not one of Low, Medium, High",
        10: "learning_disabilities is missing; gender is missing",
    }


def test_wrong_columns_are_refused_with_a_clear_message(
    sample_warehouse: Build, tmp_path: Path
) -> None:
    rows = sample_rows()[:5]
    rows[0] = ["Hours" if name == "Hours_Studied" else name for name in rows[0]]
    source = write_rows(tmp_path / "renamed.csv", rows)
    result = run_ml(
        sample_warehouse.duckdb_path.parent,
        sample_warehouse.duckdb_path,
        "predict", "--input", str(source), "--output", str(tmp_path / "out.csv"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "renamed.csv" in result.stderr
    assert "missing columns:    Hours_Studied" in result.stderr
    assert "unexpected columns: Hours" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_a_missing_input_file_is_a_clear_error(sample_warehouse: Build, tmp_path: Path) -> None:
    result = run_ml(
        sample_warehouse.duckdb_path.parent,
        sample_warehouse.duckdb_path,
        "predict", "--input", str(tmp_path / "nowhere.csv"), "--output", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "nowhere.csv' was not found" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_fifo_as_input_is_refused_at_once(sample_warehouse: Build, tmp_path: Path) -> None:
    fifo = tmp_path / "students.csv"
    os.mkfifo(fifo)  # were it opened, the run would wait for a writer (run_ml's timeout)
    result = run_ml(
        sample_warehouse.duckdb_path.parent,
        sample_warehouse.duckdb_path,
        "predict", "--input", str(fifo), "--output", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert result.returncode == 1
    assert f"'{fifo}' is a named pipe (FIFO), not a regular file" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


# -- the output: never the input, written whole or not at all -------------------------------


def same_file_spellings(source: Path) -> dict[str, Path]:
    """The input file under other names: a symbolic link, a hard link, a path through `..`."""
    symlink, hard_link = source.with_name("link.csv"), source.with_name("hard.csv")
    symlink.symlink_to(source)
    hard_link.hardlink_to(source)
    (source.parent / "sub").mkdir()
    return {
        "same path": source,
        "symlink": symlink,
        "hard link": hard_link,
        "dot-dot": source.parent / "sub" / ".." / source.name,
    }


@pytest.mark.parametrize("spelling", ["same path", "symlink", "hard link", "dot-dot"])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(
    sample_warehouse: Build, tmp_path: Path, spelling: str
) -> None:
    source = write_rows(tmp_path / "students.csv", sample_rows()[:6])
    before = source.read_bytes()
    output = same_file_spellings(source)[spelling]
    listed = sorted(path.name for path in tmp_path.iterdir())
    result = run_ml(
        sample_warehouse.duckdb_path.parent,
        sample_warehouse.duckdb_path,
        "predict", "--input", str(source), "--output", str(output),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: Output '{output}' is the input file '{source}' itself (the same file, perhaps"
        " through a link): the predictions would replace the students; name another output"
        " file. Nothing was written"
    ]
    assert source.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == listed  # no temporary file


def test_an_output_that_is_a_symlink_writes_its_target(
    sample_warehouse: Build, tmp_path: Path
) -> None:
    source = write_rows(tmp_path / "students.csv", sample_rows()[:6])
    results = tmp_path / "results"
    results.mkdir()
    target = results / "predictions.csv"
    target.write_text("an older run's predictions\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    scored, _ = predict(sample_warehouse, tmp_path, source, output=link)
    assert link.is_symlink() and link.resolve() == target  # the link stays a link
    assert scored["source_row_number"].tolist() == [1, 2, 3, 4, 5]
    assert [path.name for path in results.iterdir()] == ["predictions.csv"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError])
def test_an_interrupted_write_leaves_the_previous_output_and_no_temporary_file(
    tmp_path: Path, failure: type[BaseException]
) -> None:
    output = tmp_path / "predictions.csv"
    output.write_text("the previous predictions\n")
    partials: list[Path] = []

    def write_half_then_fail(handle) -> None:
        handle.write("source_row_number,predicted_exam_score\n1,61.5\n")
        handle.flush()
        partials.extend(path for path in tmp_path.iterdir() if path != output)
        raise failure("stopped half-way")

    with pytest.raises(failure):
        write_atomically(output, write_half_then_fail)
    assert len(partials) == 1 and partials[0].parent == tmp_path  # written beside it, aside
    assert output.read_text() == "the previous predictions\n"
    assert list(tmp_path.iterdir()) == [output]


def test_a_finished_write_replaces_the_output_and_keeps_its_permissions(tmp_path: Path) -> None:
    output = tmp_path / "predictions.csv"
    output.write_text("the previous predictions\n")
    output.chmod(0o640)
    write_atomically(output, lambda handle: handle.write("new\n"))
    assert output.read_text() == "new\n"
    assert output.stat().st_mode & 0o777 == 0o640
    assert list(tmp_path.iterdir()) == [output]


def test_predicting_before_any_training_is_a_clear_error(tmp_path: Path) -> None:
    result = run_ml(
        tmp_path,
        tmp_path / "warehouse.duckdb",
        "predict", "--input", str(SAMPLE_CSV), "--output", str(tmp_path / "o.csv"),
    )  # fmt: skip
    assert result.returncode == 1
    assert "train a model first" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
