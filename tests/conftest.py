"""Shared fixtures: real warehouses built by the project's own main job, one DuckDB file each."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CSV = PROJECT_ROOT / "seeds" / "student_performance_factors.csv"


def sample_rows() -> list[list[str]]:
    """The shipped sample as rows of text, header first."""
    with SAMPLE_CSV.open(newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]], *, bom: bool = False, crlf: bool = False) -> Path:
    """Write rows as a CSV file, optionally as Excel writes it (BOM, CRLF)."""
    with path.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    return path


@dataclass
class Build:
    """One run of `python -m spf run` against its own DuckDB file."""

    duckdb_path: Path
    result: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).df()


def project_env(duckdb_path: Path, mlflow_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPF_TARGET="duckdb",
        SPF_DUCKDB_PATH=str(duckdb_path),
        MLFLOW_TRACKING_URI=f"sqlite:///{mlflow_dir / 'mlflow.db'}",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="1",
    )
    return env


def run_main_job(
    duckdb_path: Path, raw_csv: Path | None = None, *extra: str, mlflow_dir: Path | None = None
) -> Build:
    args = [sys.executable, "-m", "spf", "run", "--skip-docs", *extra]
    if raw_csv is not None:
        args += ["--raw-csv", str(raw_csv)]
    env = project_env(duckdb_path, mlflow_dir or duckdb_path.parent)
    result = subprocess.run(
        args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    return Build(duckdb_path, result)


@pytest.fixture(scope="session")
def build_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Build]:
    """Factory: build a warehouse in a fresh directory from a raw file (default: the sample)."""

    def build(raw_csv: Path | None = None, *extra: str, name: str = "wh") -> Build:
        directory = tmp_path_factory.mktemp(name)
        return run_main_job(directory / "warehouse.duckdb", raw_csv, *extra)

    return build


@pytest.fixture(scope="session")
def sample_warehouse(build_warehouse: Callable[..., Build]) -> Build:
    """The full main job (warehouse and ML) on the shipped sample, built once per session."""
    build = build_warehouse(name="sample")
    assert build.result.returncode == 0, build.output
    return build


@pytest.fixture(scope="session")
def real_csv() -> Path:
    """The real export named by SPF_REAL_CSV; tests using it skip when it is not set."""
    value = os.environ.get("SPF_REAL_CSV")
    if not value:
        pytest.skip("SPF_REAL_CSV is not set (CI sets it to the real export)")
    path = Path(value)
    if not path.is_absolute():
        path = (PROJECT_ROOT / path).resolve()
    assert path.is_file(), f"SPF_REAL_CSV names {path}, which does not exist"
    return path


@pytest.fixture(scope="session")
def real_warehouse(build_warehouse: Callable[..., Build], real_csv: Path) -> Build:
    """The full main job on the real export (only when SPF_REAL_CSV is set)."""
    build = build_warehouse(real_csv, name="real")
    assert build.result.returncode == 0, build.output
    return build
