"""The ML step's pure parts and its bounded reads, without a build: the column roles from the
manifest, the header rule for scored files, raw text, the deterministic training sample and
the prediction batches (on a real DuckDB file)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ml import data
from ml.features import build_preprocessor, column_roles, feature_columns, target_column
from ml.scoring import ScoringFailed, _raw_text, frame_rows, raw_frame
from spf.columns import HeaderRefused, checked_header, raw_header
from spf.warehouse import Warehouse
from tests.conftest import sample_rows


def test_roles_come_from_the_manifest_and_cover_every_feature_column() -> None:
    roles = column_roles()
    assert target_column(roles) == "exam_score"
    assert [name for name, role in roles.items() if role == "id"] == [
        "student_key",
        "source_row_number",
    ]
    assert roles["teacher_quality_code"] == "ordinal_code"
    assert roles["has_internet_access"] == "flag"
    assert roles["is_gender_male"] == "one_hot"
    assert roles["hours_studied"] == "measure"


def test_a_renamed_encoding_changes_what_is_imputed_not_silently_nothing() -> None:
    """Imputation follows the roles, not a name suffix: a code column of any name is imputed."""
    roles = {"a_level": "ordinal_code", "b": "measure", "y": "target", "k": "id"}
    frame = pd.DataFrame(columns=["k", "a_level", "b", "y"])
    columns = feature_columns(frame, roles)
    assert columns == ["a_level", "b"]
    transformers = {name: cols for name, _, cols in build_preprocessor(columns, roles).transformers}
    assert transformers == {"codes": ["a_level"], "measures": ["b"]}


def test_a_column_without_a_role_is_an_error() -> None:
    with pytest.raises(KeyError, match="no role: surprise"):
        feature_columns(pd.DataFrame(columns=["surprise"]), {"y": "target"})


def test_the_header_rule_is_the_macros_own() -> None:
    """spf.columns.checked_header runs macros/check_raw_header.sql: names in any case and
    padding are the export's; a scored file may leave out only the target."""
    header = raw_header()
    found = checked_header("f.csv", ",".join(f' "{name.lower()}" ' for name in header))
    assert found == header
    without_target = ",".join(header[:-1])
    assert checked_header("f.csv", without_target, scoring=True) == header[:-1]
    with pytest.raises(HeaderRefused) as refused:
        checked_header("f.csv", without_target)
    assert str(refused.value).startswith("Raw file 'f.csv' is not a Student Performance")
    assert "missing columns:    Exam_Score\n" in str(refused.value)
    with pytest.raises(HeaderRefused, match="missing columns:    Hours_Studied\n"):
        checked_header("f.csv", ",".join(header[1:-1]), scoring=True)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), (float("nan"), None), (7.0, "7"), (7.5, "7.5"), (" ", None), ("High", "High")],
)
def test_values_become_the_text_the_export_holds(value: object, text: str | None) -> None:
    assert _raw_text(value) == text


def test_a_frame_becomes_raw_rows_in_the_exports_order() -> None:
    header, first, second = sample_rows()[:3]
    students = pd.DataFrame([first, second], columns=header).iloc[:, ::-1]  # reversed columns
    students = students.rename(columns=str.lower).drop(columns=["exam_score"])
    raw = raw_frame(frame_rows(students))
    assert raw["source_row_number"].tolist() == ["1", "2"]
    assert raw["hours_studied"].tolist() == [first[0], second[0]]
    assert raw["exam_score"].isna().all()


def test_a_frame_in_other_columns_is_refused_with_them() -> None:
    with pytest.raises(ScoringFailed, match="unexpected columns: Hours"):
        frame_rows(pd.DataFrame(columns=["Hours", *raw_header()[1:]]))


@pytest.fixture
def features_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """A DuckDB file whose features mart holds 5,000 students on raw rows 1..5,003 (three
    raw rows rejected), read through the ML step's own Warehouse."""
    path = tmp_path / "features.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.ml_exam_score_features as"
            " select md5(cast(i as varchar)) as student_key, i as source_row_number,"
            " cast(i % 100 as integer) as exam_score"
            " from range(1, 5004) as numbers(i) where i not in (10, 2000, 4999)"
        )
    monkeypatch.setenv("SPF_DUCKDB_PATH", str(path))
    monkeypatch.setenv("SPF_TARGET", "duckdb")
    return Warehouse()


def test_every_student_is_read_when_there_are_few(features_warehouse: Warehouse) -> None:
    total = data.count_features(features_warehouse)
    assert total == 5000
    features = data.read_features(features_warehouse, total)
    assert len(features) == 5000
    assert features["source_row_number"].is_monotonic_increasing


def test_above_the_bound_a_deterministic_sample_spread_over_the_file(
    features_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "TRAINING_SAMPLE_ROWS", 500)
    first = data.read_features(features_warehouse, 5000)
    again = data.read_features(features_warehouse, 5000)
    assert first["source_row_number"].tolist() == again["source_row_number"].tolist()
    assert 400 <= len(first) <= 600
    quarters = pd.cut(first["source_row_number"], [0, 1250, 2500, 3750, 5003]).value_counts()
    assert quarters.min() >= 80  # every part of the file is represented


def test_batches_cover_every_student_once_in_order(
    features_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data, "PREDICTION_BATCH_ROWS", 1200)
    batches = list(data.feature_batches(features_warehouse))
    assert len(batches) == 5
    numbers = pd.concat(batches)["source_row_number"]
    assert numbers.tolist() == sorted(set(range(1, 5004)) - {10, 2000, 4999})


def test_too_few_students_is_a_clear_error(features_warehouse: Warehouse) -> None:
    with pytest.raises(Exception, match="too few to train on"):
        data.read_features(features_warehouse, 3)
