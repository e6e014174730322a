"""Write–audit–publish on DuckDB and Postgres: a run publishes a whole, tested warehouse with
its predictions and champion, or changes nothing a reader or the model registry shows.

Per engine, one warehouse is published from the sample's first 1,000 students (with the ML
step, so there is a champion) and shared by the tests in file order: failed builds, runs
interrupted at three moments, then a run on 800 other students watched by readers (which also
shows that the interrupted runs need no clean-up), then the champion policy. Two runs started
together get a fresh warehouse of their own."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import PROJECT_ROOT, Build, project_env, sample_rows, write_rows
from tests.corpus import BY_NAME
from tests.helpers import (
    BUSY,
    MOMENTS,
    RAW_SQL,
    SIGNALS,
    Finished,
    HeldReader,
    Poller,
    Running,
    Target,
    assert_same_snapshot,
    interrupt_run,
    require_postgres,
    sample_slice,
    wait_until,
)

ENGINES = ["duckdb", "postgres"]
OLD, NEW = (1, 1000), (1001, 1800)  # the sample's students, published / replacing them
OLD_STUDENTS, NEW_STUDENTS = 1000, 800
INTERRUPTED = "interrupted: nothing was published; the warehouse, its predictions and the champion"


@dataclass
class Published:
    target: Target
    old: Path  # the file the warehouse was published from
    new: Path  # the file of the runs that would replace it


@pytest.fixture(scope="module", params=ENGINES)
def published(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    engine = request.param
    if engine == "postgres":
        require_postgres()
    directory = tmp_path_factory.mktemp(f"publish_{engine}")
    target = Target(engine, directory)
    old = sample_slice(directory / "old_students.csv", *OLD)
    new = sample_slice(directory / "new_students.csv", *NEW)
    try:
        result = target.run(old)
        assert result.returncode == 0, result.output[-3000:]
        assert target.champion() is not None
        yield Published(target, old, new)
    finally:
        target.drop()


def published_raw(target: Target) -> pd.Series:
    return target.query(RAW_SQL).iloc[0]


# -- a failed build --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["header_only", "every_row_rejected"])
def test_a_failed_build_leaves_every_table_and_the_champion_as_before(
    published: Published, name: str, tmp_path: Path
) -> None:
    """A header-only file (refused before anything is built) and a file whose every row is
    rejected (built aside, then a dbt test fails): nothing published changes, byte for byte."""
    target, case = published.target, BY_NAME[name]
    before = target.snapshot()
    result = target.run(case.path(tmp_path))
    assert result.returncode == 1, result.output[-3000:]
    assert case.refused in result.stderr and "nothing was loaded or replaced" in result.stderr
    assert "Traceback" not in result.output
    assert_same_snapshot(target.snapshot(), before)
    assert target.leftovers() == []
    assert target.lock_is_free()


# -- interrupted runs ------------------------------------------------------------------------

KILLS = [(moment, name) for moment in MOMENTS for name in SIGNALS]


@dataclass
class Interrupted:
    line: str  # the line of output the signal followed
    result: Finished
    before: dict
    after: dict
    lock_free: bool


@pytest.fixture(scope="module")
def interrupted(published: Published) -> dict[tuple[str, str], Interrupted]:
    """Runs on the new file, each stopped by SIGINT or SIGKILL (to the whole process group, as
    a terminal's Ctrl-C) while dbt parses, while it builds, or while the models train; each
    run starts from what the one before it left."""
    target, runs = published.target, {}
    for moment, name in KILLS:
        before = target.snapshot()
        line, result = interrupt_run(target.start(published.new), moment, SIGNALS[name])
        runs[(moment, name)] = Interrupted(
            line, result, before, target.snapshot(), wait_until(target.lock_is_free)
        )
    return runs


@pytest.mark.parametrize(("moment", "name"), KILLS)
def test_an_interrupted_run_leaves_the_published_state_intact(
    interrupted: dict, moment: str, name: str
) -> None:
    run = interrupted[(moment, name)]
    output = run.result.output
    assert_same_snapshot(run.after, run.before)
    assert run.lock_free, "the lock outlived the run"
    if name == "SIGKILL":
        assert run.result.returncode == -9, output[-3000:]
        return
    assert run.result.returncode == 130, output[-3000:]
    assert "Traceback" not in output and "Encountered an error" not in output
    said = [line for line in output.splitlines() if line.startswith("interrupted")]
    assert len(said) == 1 and said[0].startswith(INTERRUPTED)
    assert run.result.stderr.strip().splitlines()[-1] == said[0]


# -- a run watched by readers ----------------------------------------------------------------


@dataclass
class Watched:
    result: Finished
    seen: list[tuple[int, int]]  # (students in dim_students, student_count of the KPIs)
    errors: list[str]
    held: tuple[int, int, str] | None  # DuckDB: a held connection's counts before/after, stderr
    champion_before: str | None
    champion_after: str | None


@pytest.fixture(scope="module")
def watched(published: Published, interrupted: dict) -> Watched:
    """After the interrupted runs, with nothing cleaned up by hand: a whole run on the new file,
    while a reader polls the marts and (DuckDB) another holds the old file open throughout."""
    target = published.target
    champion_before = target.champion()
    held = HeldReader(target.duckdb_path) if target.engine == "duckdb" else None
    with Poller(target) as poller:
        result = target.run(published.new)
    return Watched(
        result, poller.seen, poller.errors, held.release() if held else None,
        champion_before, target.champion(),
    )  # fmt: skip


def test_the_next_run_after_interrupted_ones_publishes_without_clean_up(
    published: Published, watched: Watched
) -> None:
    assert watched.result.returncode == 0, watched.result.output[-3000:]
    raw = published_raw(published.target)
    assert (raw["n"], raw["source_file"]) == (NEW_STUDENTS, str(published.new))
    # the alias moves with the warehouse its predictions belong to
    assert watched.champion_after not in (None, watched.champion_before)
    predictions = published.target.query("select count(*) as n from ml.predictions")
    assert predictions["n"].iloc[0] == NEW_STUDENTS
    assert published.target.leftovers() == []


def test_a_polling_reader_sees_old_or_new_never_an_error_or_a_mix(watched: Watched) -> None:
    assert watched.errors == []
    assert len(watched.seen) > 20  # it read all through the run
    assert all(students == kpi for students, kpi in watched.seen), watched.seen
    old, new = (OLD_STUDENTS, OLD_STUDENTS), (NEW_STUDENTS, NEW_STUDENTS)
    assert set(watched.seen) == {old, new}
    switched = watched.seen.index(new)
    assert watched.seen[:switched] == [old] * switched  # old until the publish ...
    assert watched.seen[switched:] == [new] * (len(watched.seen) - switched)  # ... new after


@pytest.mark.parametrize("published", ["duckdb"], indirect=True)  # DuckDB's one-writer file
def test_a_duckdb_reader_held_open_through_a_run_does_not_make_it_fail(
    published: Published, watched: Watched
) -> None:
    assert watched.result.returncode == 0, watched.result.output[-3000:]
    first, second, errors = watched.held
    assert (first, second, errors) == (OLD_STUDENTS, OLD_STUDENTS, "")  # it kept the old file
    assert "Could not set lock" not in watched.result.output


# -- the champion policy ---------------------------------------------------------------------


def shuffled_scores(path: Path) -> Path:
    """The published students with their exam scores shuffled: no relation to the factors."""
    rows = sample_rows()
    header, students = rows[0], [list(row) for row in rows[OLD[0] : OLD[1] + 1]]
    score = header.index("Exam_Score")
    scores = [row[score] for row in students]
    random.Random(42).shuffle(scores)
    for row, value in zip(students, scores, strict=True):
        row[score] = value
    return write_rows(path, [header, *students])


def test_a_model_no_better_than_the_mean_is_not_promoted(
    published: Published, watched: Watched, tmp_path: Path
) -> None:
    target = published.target
    champion, versions = target.champion(), target.versions()
    assert champion is not None
    shuffled = shuffled_scores(tmp_path / "shuffled_scores.csv")
    result = target.run(shuffled)
    assert result.returncode == 0, result.output[-3000:]
    assert "!! ml: champion NOT promoted" in result.stdout
    assert "does not beat the mean predictor" in result.stdout
    assert (target.champion(), target.versions()) == (champion, versions)
    # the warehouse itself is published, without predictions from the refused model
    raw = published_raw(target)
    assert (raw["n"], raw["source_file"]) == (OLD_STUDENTS, str(shuffled))
    assert target.query("select count(*) as n from ml.predictions")["n"].iloc[0] == 0
    metrics = target.query("select model_name, is_champion, model_version from ml.model_metrics")
    assert len(metrics) == 5 and metrics["model_version"].isna().all()


# -- two runs at once ------------------------------------------------------------------------


@dataclass
class Contended:
    first: tuple[Finished, Running, Path]
    second: tuple[Finished, Running, Path]
    impatient: tuple[Finished, Path]
    raw: pd.Series


def first_to_hold_the_lock(runs: list[Running], seconds: float = 300) -> Running:
    """The run that printed its first step (it holds the lock by then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for run in runs:
            if any(line.startswith("==> [1/") for line in run.stdout):
                return run
        time.sleep(0.1)
    raise AssertionError("neither run started")


@pytest.fixture(scope="module")
def contended(published: Published, tmp_path_factory: pytest.TempPathFactory) -> Contended:
    """On a new warehouse of the engine (a new database on Postgres, made by the runs), two
    runs started together, then a third, with SPF_LOCK_TIMEOUT=1, while one of them holds it."""
    directory = tmp_path_factory.mktemp(f"contended_{published.target.engine}")
    target = Target(published.target.engine, directory)
    files = [sample_slice(directory / f"students_{n}.csv", n, n + 299) for n in (1, 301, 601)]
    try:
        runs = [target.start(path, "--skip-ml") for path in files[:2]]
        first_to_hold_the_lock(runs)
        impatient = target.start(files[2], "--skip-ml", SPF_LOCK_TIMEOUT="1")
        results = [run.finish() for run in runs]
        impatient_result = impatient.finish()
        raw = published_raw(target)
    finally:
        target.drop()
    pairs = list(zip(results, runs, files, strict=False))
    return Contended(pairs[0], pairs[1], (impatient_result, files[2]), raw)


def test_two_runs_at_once_one_waits_then_publishes_its_own_file(contended: Contended) -> None:
    pairs = [contended.first, contended.second]
    for result, _, _ in pairs:
        assert result.returncode == 0, result.output[-3000:]
    waiting = [index for index, (result, _, _) in enumerate(pairs) if BUSY in result.stdout]
    assert len(waiting) == 1, "exactly one run waits for the other"
    (waiter, _, waiter_file), (_, holder, _) = pairs[waiting[0]], pairs[1 - waiting[0]]
    assert f"by PID {holder.pid}" in waiter.stdout
    # the waiting run's file is not discarded: it is landed and published after the first's
    assert (contended.raw["n"], contended.raw["source_file"]) == (300, str(waiter_file))


def test_a_run_that_cannot_wait_long_enough_exits_with_the_busy_message(
    contended: Contended,
) -> None:
    result, path = contended.impatient
    assert result.returncode == 1, result.output[-3000:]
    assert BUSY in result.stderr and "gave up after waiting 1 s (SPF_LOCK_TIMEOUT)" in result.stderr
    assert "Nothing was loaded or replaced; run again when it ends" in result.stderr
    assert "Traceback" not in result.output
    assert contended.raw["source_file"] != str(path)


# -- landing only when asked -----------------------------------------------------------------


def test_a_plain_dbt_run_of_one_model_leaves_raw_and_marts_as_they_are(
    real_warehouse: Build, tmp_path: Path
) -> None:
    """After a build on the real export, `dbt run -s rpt_kpi_summary` (no raw_csv) must not
    land the shipped sample over the real raw table."""
    relations = [
        "raw.student_performance_factors",
        "marts.rpt_kpi_summary",
        "marts.rpt_load_reconciliation",
        "marts.dim_students",
    ]

    def tables() -> dict[str, pd.DataFrame]:
        found = {name: real_warehouse.query(f"select * from {name}") for name in relations}
        return {name: frame.sort_values(list(frame.columns)).reset_index(drop=True)
                for name, frame in found.items()}  # fmt: skip

    before = tables()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "run", "-s", "rpt_kpi_summary",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
        env=project_env(real_warehouse.duckdb_path, real_warehouse.duckdb_path.parent),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "kept as it is (no raw_csv given)" in result.stdout
    assert "1 of 1 OK created sql table model marts.rpt_kpi_summary" in result.stdout
    after = tables()
    for name in relations:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    assert len(after["raw.student_performance_factors"]) == 6607
