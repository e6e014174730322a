"""The corpus of bad and odd raw files (tests/corpus.py), every case on DuckDB and on Postgres
through `python -m pipeline run --skip-ml --skip-docs`: a refused file changes nothing that is
published, a loaded one gives exactly its expected counts, rejected rows and reasons.

One published warehouse per engine (the base file first); the two engines run side by side,
a thread each. The rows cases share one file (each case's rows are checked on their own)."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg2
import pytest

from tests.conftest import PROJECT_ROOT
from tests.corpus import (
    BASE_ROWS,
    CASES,
    FILE_CASES,
    HEADER,
    ROWS_CASES,
    Case,
    base_rows,
    csv_text,
    expected_of,
    markdown_table,
    rows_file,
    rows_offsets,
)
from tests.helpers import PG, Finished, Target, assert_same_snapshot, require_postgres

ENGINES = ("duckdb", "postgres")
ROWS_FILE = "rows_cases"
REFUSED = [case for case in FILE_CASES if case.refused]
LOADED = [case for case in FILE_CASES if not case.refused or len(case.refused_on) < 2]


@dataclass
class Outcome:
    """One file run against one engine's published warehouse, and what it left there."""

    path: Path
    result: Finished
    before: dict | None = None  # the published snapshot before a refused file ...
    after: dict | None = None  # ... and after it
    leftovers: list[str] = field(default_factory=list)
    counts: dict | None = None  # rpt_load_reconciliation, when the file was loaded
    rejected: dict[int, str] = field(default_factory=dict)
    students: pd.DataFrame | None = None  # marts.dim_students
    duplicates: list[int] = field(default_factory=list)  # rows flagged is_exact_duplicate
    kpis: pd.DataFrame | None = None


def published_outcome(target: Target, path: Path, result: Finished) -> Outcome:
    outcome = Outcome(path, result, leftovers=target.leftovers())
    if result.returncode != 0:
        return outcome
    outcome.counts = target.query("select * from marts.rpt_load_reconciliation").iloc[0].to_dict()
    rejected = target.query(
        "select source_row_number, rejection_reasons from marts.rpt_rejected_rows"
    )
    outcome.rejected = {int(row): reason for row, reason in rejected.itertuples(index=False)}
    outcome.students = target.query("select * from marts.dim_students")
    outcome.duplicates = sorted(
        int(row)
        for row in target.query(
            "select source_row_number from staging.stg_spf__students where is_exact_duplicate"
        )["source_row_number"]
    )
    outcome.kpis = target.query("select * from marts.rpt_kpi_summary")
    return outcome


def run_corpus(target: Target, directory: Path) -> dict[str, Outcome]:
    """The base file, then every refused case (each against the published base), then every
    loaded case, in one engine's warehouse."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / "base.csv"
    base.write_text(csv_text([HEADER, *base_rows()]))
    outcomes = {"base": published_outcome(target, base, target.run(base, "--skip-ml"))}
    if outcomes["base"].result.returncode != 0:
        return outcomes
    for case in REFUSED:
        if not case.is_refused_on(target.engine):
            continue
        path = case.path(directory)
        before = target.snapshot()
        result = target.run(path, "--skip-ml")
        outcomes[case.name] = Outcome(
            path, result, before=before, after=target.snapshot(), leftovers=target.leftovers()
        )
    for case in LOADED:
        if case.is_refused_on(target.engine):
            continue
        path = case.path(directory)
        outcomes[case.name] = published_outcome(target, path, target.run(path, "--skip-ml"))
    path, _ = rows_file(directory)
    outcomes[ROWS_FILE] = published_outcome(target, path, target.run(path, "--skip-ml"))
    return outcomes


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Outcome] | str]:
    """engine -> case name -> outcome (or, for an engine that is not there, why)."""
    runs: dict[str, dict[str, Outcome] | str] = {}
    targets = {"duckdb": Target("duckdb", tmp_path_factory.mktemp("corpus_duckdb"))}
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=5, **PG).close()
        targets["postgres"] = Target("postgres", tmp_path_factory.mktemp("corpus_postgres"))
    except psycopg2.OperationalError as error:
        runs["postgres"] = f"Postgres is not reachable: {error}"

    def run(engine: str) -> None:
        runs[engine] = run_corpus(targets[engine], targets[engine].directory / "files")

    threads = [threading.Thread(target=run, args=(engine,)) for engine in targets]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        yield runs
    finally:
        for target in targets.values():
            target.drop()


def outcomes_on(corpus_runs: dict, engine: str) -> dict[str, Outcome]:
    found = corpus_runs.get(engine)
    if found is None:
        pytest.fail(f"the corpus did not run on {engine} (see the fixture's error)")
    if isinstance(found, str):
        require_postgres()  # skips, or fails under SPF_REQUIRE_ALL_ENGINES=1
    base = found["base"].result
    assert base.returncode == 0, base.output[-3000:]
    return found


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.name)
def test_refused_file_changes_nothing(corpus_runs, engine: str, case: Case) -> None:
    if not case.is_refused_on(engine):
        pytest.skip(f"{engine} loads it (test_whole_file_loads_with_its_rows_and_reasons)")
    outcome = outcomes_on(corpus_runs, engine)[case.name]
    result = outcome.result
    assert result.returncode == 1, result.output[-3000:]
    error = result.stderr[result.stderr.index("error: ") :]
    assert case.refused in error and str(outcome.path.name) in error
    assert "nothing was loaded or replaced" in error
    assert "Traceback" not in result.output
    assert_same_snapshot(outcome.after, outcome.before)
    assert outcome.leftovers == []


def assert_loaded(outcome: Outcome, expected_rows: dict[int, str]) -> None:
    assert outcome.result.returncode == 0, outcome.result.output[-3000:]
    assert "Traceback" not in outcome.result.output
    counts = outcome.counts
    assert counts["is_reconciled"]
    # the user's own file is recorded, not the UTF-8 copy the runner landed for it
    assert counts["source_file"] == str(outcome.path)
    assert counts["source_file_sha256"] == sha256_of(outcome.path)
    assert {row: outcome.rejected.get(row) for row in expected_rows} == expected_rows


def cleaned_values(outcome: Outcome, cleaned: dict[tuple[int, str], object]) -> dict:
    by_row = outcome.students.set_index(outcome.students["source_row_number"].astype(int))
    found = {}
    for (row, column), expected in cleaned.items():
        value = by_row.loc[row, column]
        found[(row, column)] = None if expected is None and pd.isna(value) else value
    return found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", LOADED, ids=lambda case: case.name)
def test_whole_file_loads_with_its_rows_and_reasons(corpus_runs, engine: str, case: Case) -> None:
    if case.is_refused_on(engine):
        pytest.skip(f"{engine} refuses it (test_refused_file_changes_nothing)")
    outcomes = outcomes_on(corpus_runs, engine)
    outcome, expected = outcomes[case.name], expected_of(case)
    assert_loaded(outcome, expected.rejected)
    assert outcome.counts["rows_accepted"] == expected.accepted
    assert outcome.counts["rows_rejected"] == len(expected.rejected)
    assert outcome.rejected == expected.rejected
    # the same 30 students as the plain UTF-8 file, whatever the encoding or header case
    base = outcomes["base"]
    assert sorted(outcome.students["student_key"]) == sorted(base.students["student_key"])
    pd.testing.assert_frame_equal(outcome.kpis, base.kpis)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", ROWS_CASES, ids=lambda case: case.name)
def test_rows_load_with_their_reasons(corpus_runs, engine: str, case: Case) -> None:
    outcome = outcomes_on(corpus_runs, engine)[ROWS_FILE]
    offset = rows_offsets()[case.name]
    expected = expected_of(case, offset)
    own_rows = range(offset + 1, offset + case.row_count + 1)
    assert_loaded(outcome, expected.rejected)
    assert {row: r for row, r in outcome.rejected.items() if row in own_rows} == expected.rejected
    accepted = set(outcome.students["source_row_number"].astype(int)) & set(own_rows)
    assert len(accepted) == expected.accepted - BASE_ROWS
    assert len([row for row in outcome.duplicates if row in own_rows]) == expected.duplicated
    assert cleaned_values(outcome, expected.cleaned) == expected.cleaned


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_file_reconciles(corpus_runs, engine: str, tmp_path: Path) -> None:
    outcome = outcomes_on(corpus_runs, engine)[ROWS_FILE]
    _, expected = rows_file(tmp_path)
    assert_loaded(outcome, expected.rejected)
    counts = outcome.counts
    assert (counts["rows_received"], counts["rows_accepted"], counts["rows_rejected"]) == (
        expected.received, expected.accepted, len(expected.rejected),
    )  # fmt: skip
    assert counts["rows_duplicated"] == expected.duplicated
    assert outcome.rejected == expected.rejected
    # the exact duplicates warn, naming the rows; the build still publishes
    assert "WARN 2 stg_spf__students_has_no_exact_duplicate_rows" in outcome.result.stdout


def test_the_corpus_covers_every_kind_of_file() -> None:
    names = {case.name for case in CASES}
    assert len(names) == len(CASES)
    expected = """empty header_only every_row_rejected not_found directory parquet wrong_header
        renamed_header missing_column extra_column semicolons tabs utf16_without_bom latin1
        windows_1252 utf16_bom utf8_bom_crlf lowercase_header short_row long_row quoted_commas
        non_numeric out_of_range unknown_category odd_case_and_whitespace blank_lines
        exact_duplicates long_field truncated_last_line template_name sql_and_shell_name
        wildcard_name star_name unicode_name fifo
        over_long_line unicode_spaces"""
    assert set(expected.split()) == names


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_name_never_runs_as_code(corpus_runs, engine: str) -> None:
    """`template_name` would land 49.csv and write pwned.csv if its name were rendered."""
    outcome = outcomes_on(corpus_runs, engine)["template_name"]
    assert outcome.counts["source_file"] == str(outcome.path)
    assert not (PROJECT_ROOT / "pwned.csv").exists()
    assert sorted(path.name for path in outcome.path.parent.glob("pwned*")) == []


def test_readme_shows_the_corpus_and_its_outcomes() -> None:
    assert markdown_table() in (PROJECT_ROOT / "README.md").read_text()
