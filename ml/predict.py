"""Score new students with the registered champion.

The file goes through the warehouse's own cleaning and encoding: dbt lands it and builds the
staging and intermediate models and ml_exam_score_features (plus rpt_rejected_rows) into a
scratch DuckDB file, with `spf_scoring: true` so that Exam_Score may be absent. Python adds no
rule of its own: rows dbt rejects come back with dbt's reasons, the others with a prediction.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ml.features import feature_matrix
from ml.tracking import Champion, load_champion
from spf.profile import PROJECT_ROOT, ConfigurationError

SCORING_SELECTION = ["+ml_exam_score_features", "rpt_rejected_rows"]
SCRATCH_TARGET = "duckdb"  # the scratch warehouse is always a DuckDB file
OUTPUT_COLUMNS = [
    "source_row_number",
    "student_key",
    "predicted_exam_score",
    "rejection_reasons",
    "run_id",
    "model_version",
]
_LOG_PREFIX = re.compile(r"^(\x1b\[[0-9;]*m)*\d\d:\d\d:\d\d\s+")
# dbt's framing around a message: its banner, the failing node, the chain of macro calls
_DBT_FRAMING = re.compile(
    r"^\s*(Encountered an error:|Compilation Error in operation |> (in|called by) )"
)


class ScoringFailed(ConfigurationError):
    """dbt refused the file (wrong columns, unreadable) or failed; the message says why."""


@dataclass(frozen=True)
class ScoringResult:
    output: Path
    scored: int
    rejected: int
    run_id: str
    version: str


def _dbt_command() -> list[str]:
    script = Path(sys.executable).with_name("dbt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dbt.cli.main"]


def _dbt_message(output: str) -> str:
    """dbt's error message without its timestamps and framing."""
    lines = [_LOG_PREFIX.sub("", line).rstrip() for line in output.splitlines()]
    lines = [line for line in lines if line.strip() and not _DBT_FRAMING.match(line)]
    return "\n".join(lines[-20:]) or "dbt failed without a message"


def build_scoring_warehouse(input_csv: Path, scratch: Path) -> Path:
    """Land `input_csv` and build the cleaning models into a DuckDB file under `scratch`."""
    database = scratch / "scoring.duckdb"
    env = {**os.environ, "SPF_DUCKDB_PATH": str(database), "DO_NOT_TRACK": "1"}
    variables = {"raw_csv": str(input_csv.resolve()), "spf_scoring": True}
    command = [
        *_dbt_command(),
        "--quiet",
        "--no-use-colors",
        "run",
        "--select",
        *SCORING_SELECTION,
        "--vars",
        json.dumps(variables),
        "--project-dir",
        str(PROJECT_ROOT),
        "--profiles-dir",
        str(PROJECT_ROOT),
        "--target",
        SCRATCH_TARGET,
        "--target-path",
        str(scratch / "target"),
        "--log-path",
        str(scratch / "logs"),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise ScoringFailed(
            f"'{input_csv}' could not be scored:\n{_dbt_message(result.stdout + result.stderr)}"
        )
    return database


def _read_scoring_warehouse(database: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as connection:
        accepted = connection.execute(
            "select * from marts.ml_exam_score_features order by source_row_number"
        ).df()
        rejected = connection.execute(
            "select source_row_number, rejection_reasons from marts.rpt_rejected_rows"
            " order by source_row_number"
        ).df()
    return accepted, rejected


def score_rows(champion: Champion, accepted: pd.DataFrame, rejected: pd.DataFrame) -> pd.DataFrame:
    """One output row per input row, in file order: a prediction, or the reasons it has none."""
    columns = list(champion.pipeline.feature_names_in_)
    try:
        x = feature_matrix(accepted, columns)
    except KeyError as error:
        raise ConfigurationError(
            f"The champion (version {champion.version}) needs a feature the warehouse no longer"
            f" builds ({error.args[0]}): retrain it (`python -m ml train`)"
        ) from None
    predicted = champion.pipeline.predict(x) if len(x) else []
    scored = pd.DataFrame(
        {
            "source_row_number": accepted["source_row_number"],
            "student_key": accepted["student_key"],
            "predicted_exam_score": pd.Series(predicted, index=accepted.index, dtype="float64"),
            "rejection_reasons": pd.Series(pd.NA, index=accepted.index, dtype="string"),
        }
    )
    refused = pd.DataFrame(
        {
            "source_row_number": rejected["source_row_number"],
            "student_key": pd.Series(pd.NA, index=rejected.index, dtype="string"),
            "predicted_exam_score": pd.Series(float("nan"), index=rejected.index),
            "rejection_reasons": rejected["rejection_reasons"],
        }
    )
    frames = [frame for frame in (scored, refused) if len(frame)]
    rows = pd.concat(frames, ignore_index=True) if frames else scored
    rows = rows.sort_values("source_row_number", ignore_index=True)
    return rows.assign(run_id=champion.run_id, model_version=champion.version)[OUTPUT_COLUMNS]


def predict(input_csv: Path, output_csv: Path, version: str | None = None) -> ScoringResult:
    """Score the students in `input_csv` (the export's columns, Exam_Score optional)."""
    input_csv = Path(input_csv)
    if not input_csv.is_file():
        raise ConfigurationError(f"Input file '{input_csv}' was not found")
    champion = load_champion(version)
    with tempfile.TemporaryDirectory(prefix="spf-scoring-") as scratch:
        database = build_scoring_warehouse(input_csv, Path(scratch))
        accepted, rejected = _read_scoring_warehouse(database)
    rows = score_rows(champion, accepted, rejected)
    output_csv = Path(output_csv)
    output_csv.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(output_csv, index=False)
    return ScoringResult(
        output_csv, len(accepted), len(rejected), champion.run_id, champion.version
    )
