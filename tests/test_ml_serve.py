"""The champion as any system calls it: `python -m ml serve` (MLflow's scoring server) on a free
loopback port, against the warehouse built from the sample. It answers as the warehouse
predicted, row by row; a bad row gets the warehouse's reasons without failing the others; wrong
columns get a clear message; no answer ever holds a Python traceback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pandas as pd
import pytest

from ml.scoring import PREDICTION_COLUMNS
from tests.conftest import PROJECT_ROOT, Build, project_env, sample_rows
from tests.helpers import wait_until

FIRST_ROWS = 25
TRACEBACK_MARKS = ("Traceback", 'File "', "stack_trace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, body: bytes | dict, content_type: str = "application/json") -> tuple[int, str]:
    """POST `body` (a dict is sent as JSON) to the served model: (HTTP status, body text)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url}/invocations", data=data, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (the command and uvicorn), SIGKILL if it lingers."""
    os.killpg(process.pid, signal.SIGTERM)

    def gone() -> bool:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        process.poll()  # reaps the command once it has ended
        return False

    if not wait_until(gone, 30):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(sample_warehouse: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample warehouse's champion served by `python -m ml serve`; its base URL."""
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ml", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
            env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        up = wait_until(lambda: answers(url) or process.poll() is not None, 180)
        assert up and process.poll() is None, log.read_text()[-3000:]
        yield url
    finally:
        stop(process)


def export_rows(count: int) -> tuple[list[str], list[list[str]]]:
    """The sample's header and its first `count` students, as the raw text of the export."""
    rows = sample_rows()
    return rows[0], rows[1 : count + 1]


def split(columns: list[str], data: list[list[str]]) -> dict:
    return {"dataframe_split": {"columns": columns, "data": data}}


def predictions(url: str, body: dict) -> pd.DataFrame:
    status, text = post(url, body)
    assert status == 200, text
    assert not any(mark in text for mark in TRACEBACK_MARKS), text
    return pd.DataFrame(json.loads(text)["predictions"])


def warehouse_predictions(build: Build) -> pd.DataFrame:
    return build.query(
        f"select student_key, {', '.join(PREDICTION_COLUMNS)}, run_id"
        " from marts.fct_exam_score_predictions"
    ).set_index("student_key")


def assert_as_the_warehouse(answered: pd.DataFrame, build: Build) -> None:
    """Every answered student's prediction, interval, probability and reasons are the
    warehouse's for the same student (its key is a hash of the row's raw text)."""
    expected = warehouse_predictions(build).loc[answered["student_key"]]
    answered = answered.set_index("student_key")
    for column in PREDICTION_COLUMNS:
        if pd.api.types.is_float_dtype(expected[column]):
            difference = (answered[column].astype("float64") - expected[column]).abs()
            assert difference.max() < 1e-9, column
        else:
            assert answered[column].tolist() == expected[column].tolist(), column
    assert (answered["run_id"] == expected["run_id"]).all()


def test_the_served_model_answers_the_first_sample_rows_as_the_warehouse_predicted(
    served: str, sample_warehouse: Build
) -> None:
    header, rows = export_rows(FIRST_ROWS)
    answered = predictions(served, split(header, rows))
    assert answered["source_row_number"].tolist() == list(range(1, FIRST_ROWS + 1))
    assert answered["rejection_reasons"].isna().all()
    assert_as_the_warehouse(answered, sample_warehouse)
    recorded = sample_warehouse.query("select model_version from ml.champion")
    assert set(answered["model_version"]) == {str(recorded["model_version"].iloc[0])}
    assert (answered["predicted_lower"] <= answered["predicted_exam_score"]).all()
    assert (answered["predicted_exam_score"] <= answered["predicted_upper"]).all()


def test_a_request_mixing_a_valid_and_an_invalid_row_answers_each_row(
    served: str, sample_warehouse: Build
) -> None:
    header, (valid, invalid) = export_rows(2)
    invalid = list(invalid)
    invalid[header.index("Attendance")] = "105"
    answered = predictions(served, split(header, [valid, invalid]))
    assert answered["source_row_number"].tolist() == [1, 2]
    assert_as_the_warehouse(answered.iloc[[0]], sample_warehouse)
    assert answered["rejection_reasons"].tolist() == [
        None,
        "attendance_pct 105 is outside 0 to 100",
    ]
    assert answered.loc[1, PREDICTION_COLUMNS].isna().all()


def test_students_without_an_exam_score_as_json_values_are_scored(served: str) -> None:
    """Exam_Score is optional; numbers may come as JSON numbers, any column name's case."""
    header, rows = export_rows(3)
    columns = [name.lower() for name in header[:-1]]
    data = [[int(v) if v.isdigit() else v for v in row[:-1]] for row in rows]
    answered = predictions(served, split(columns, data))
    assert answered["rejection_reasons"].isna().all()
    assert answered["predicted_exam_score"].between(0, 100).all()


def test_wrong_columns_get_a_clear_message_and_no_traceback(served: str) -> None:
    header, rows = export_rows(2)
    gender = header.index("Gender")
    columns = [*header[:gender], *header[gender + 1 :], "Shoe_Size"]
    data = [[*row[:gender], *row[gender + 1 :], "42"] for row in rows]
    answered = predictions(served, split(columns, data))
    assert list(answered.columns) == ["error"] and len(answered) == 1
    message = answered["error"].iloc[0]
    assert "not a Student Performance Factors export" in message
    assert "missing columns:    Gender" in message
    assert "unexpected columns: Shoe_Size" in message


def test_a_request_that_is_not_a_table_gets_a_clear_message(served: str) -> None:
    answered = predictions(served, {"inputs": [[1, 2, 3]]})
    assert answered["error"].tolist() == [
        "Send the students as a table in the export's columns, e.g."
        ' {"dataframe_split": {"columns": ["Hours_Studied", ...], "data": [[...]]}}'
    ]


@pytest.mark.parametrize(
    "body",
    [b"{not json", json.dumps(split(["Hours_Studied", "Attendance"], [["1"]])).encode()],
    ids=["not JSON", "rows shorter than the columns"],
)
def test_a_malformed_request_is_refused_by_mlflow_without_a_traceback(
    served: str, body: bytes
) -> None:
    """What never reaches the model (MLflow cannot read it as a table): HTTP 400, MLflow's own
    one-paragraph message."""
    status, text = post(served, body)
    assert status == 400
    assert json.loads(text)["error_code"] == "BAD_REQUEST"
    assert not any(mark in text for mark in TRACEBACK_MARKS), text


def test_ml_serve_refuses_a_port_in_use_in_one_line(sample_warehouse: Build) -> None:
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ml", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: Port {port} on 127.0.0.1 is not free (Address already in use): pass another"
        " one (`python -m ml serve --port N`, `make serve SERVE_PORT=N`)"
    ]


def test_the_served_model_refuses_files_other_than_the_ones_checked(
    sample_warehouse: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ml serve` checks the champion's files, then MLflow downloads them again: the served model
    loads only if they still have the fingerprint checked (ml.tracking.SERVED_FINGERPRINT)."""
    import mlflow

    from ml.tracking import SERVED_FINGERPRINT
    from tests.helpers import use_warehouse_in_process

    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    use_warehouse_in_process(monkeypatch, env)
    recorded = sample_warehouse.query("select * from ml.champion").iloc[0]
    uri = f"models:/{recorded['registered_model']}/{recorded['model_version']}"
    # both: a `models:/` URI is read from the registry, which an earlier test of this process
    # may have pointed at another warehouse's store
    mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
    mlflow.set_registry_uri(env["MLFLOW_TRACKING_URI"])
    monkeypatch.setenv(SERVED_FINGERPRINT, recorded["fingerprint_sha256"])
    mlflow.pyfunc.load_model(uri)  # the files checked: it loads
    monkeypatch.setenv(SERVED_FINGERPRINT, "0" * 64)
    with pytest.raises(Exception, match="has changed since it was registered"):
        mlflow.pyfunc.load_model(uri)
