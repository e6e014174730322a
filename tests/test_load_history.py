"""The load history and the load audit: every published load adds a row to
marts.rpt_load_history (none for the file the latest load came from), the history survives
rebuilds, and a load whose columns' distributions shifted beyond vars.audit_max_psi is refused
with nothing published unless accepted (`--accept-shift`).

On DuckDB, one warehouse published from the shipped sample (`--skip-ml`) is copied for each test
(a DuckDB file copies in a moment); Postgres gets a database of its own."""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spf.columns import spf_columns
from spf.definitions import var
from spf.kpis import KPI_LABELS
from tests.conftest import PROJECT_ROOT, SAMPLE_CSV, sample_rows
from tests.helpers import (
    Target,
    assert_same_snapshot,
    require_postgres,
    sample_slice,
    shifted_sample,
)

SHIFTED = {"parental_involvement": "Parental involvement", "hours_studied": "Hours studied"}
ACCEPT_HOW = ("--accept-shift", "make run ACCEPT_SHIFT=1", "accept_shift: true")


def history(target: Target) -> pd.DataFrame:
    return target.query("select * from marts.rpt_load_history order by load_number")


def comparison(target: Target) -> pd.DataFrame:
    return target.query("select * from marts.rpt_load_comparison").set_index("measure")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sample_published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB warehouse published from the shipped sample (the first load of its history)."""
    directory = tmp_path_factory.mktemp("history_sample")
    result = Target("duckdb", directory).run(None, "--skip-ml")
    assert result.returncode == 0, result.output[-3000:]
    assert "audit: the first load of this warehouse: nothing to compare with" in result.stdout
    return directory / "warehouse.duckdb"


@pytest.fixture
def warehouse(sample_published: Path, tmp_path: Path) -> Target:
    """A copy of the sample's published warehouse, this test's own."""
    shutil.copy(sample_published, tmp_path / "warehouse.duckdb")
    return Target("duckdb", tmp_path)


def test_the_first_load_is_recorded_with_its_own_kpis(warehouse: Target) -> None:
    loads = history(warehouse)
    kpis = warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    assert loads["load_number"].tolist() == [1]
    first = loads.iloc[0]
    assert first["source_file_sha256"] == sha256(SAMPLE_CSV)
    assert first["rows_received"] == len(sample_rows()) - 1
    for column in kpis.index:  # every KPI, under the same name
        assert first[column] == pytest.approx(kpis[column], rel=1e-12), column
    assert first[["champion_model_name", "champion_cv_r2_mean", "interval_coverage"]].isna().all()
    # the first load compares with nothing, and nothing is shifted
    first_comparison = comparison(warehouse)
    assert first_comparison["previous_value"].isna().all()
    assert first_comparison["psi"].isna().all() and not first_comparison["is_shifted"].any()
    # the KPI labels are those the summary shows (spf.kpis), one list for the comparison
    assert list(var("kpi_labels")) == list(kpis.index)
    assert KPI_LABELS.items() <= var("kpi_labels").items()


def test_each_new_file_adds_a_row_the_same_file_none_and_a_rebuild_keeps_them(
    warehouse: Target, tmp_path: Path
) -> None:
    half = sample_slice(tmp_path / "first half.csv", 1, 2000)
    result = warehouse.run(half)  # with the ML step: the load's champion is recorded
    assert result.returncode == 0, result.output[-3000:]
    assert "history: recorded as load 2" in result.stdout
    loads = history(warehouse)
    assert loads["load_number"].tolist() == [1, 2]
    assert loads["source_file_sha256"].tolist() == [sha256(SAMPLE_CSV), sha256(half)]
    assert loads["loaded_at"].is_monotonic_increasing
    second = loads.iloc[1]
    kpis = warehouse.query("select * from marts.rpt_kpi_summary").iloc[0]
    for column in kpis.index:
        assert second[column] == pytest.approx(kpis[column], rel=1e-12), column
    assert second["student_count"] < loads.iloc[0]["student_count"]
    champion = warehouse.query("select * from marts.rpt_model_metrics where is_champion").iloc[0]
    assert second["champion_model_name"] == champion["model_name"]
    for figure in ("cv_r2_mean", "cv_r2_std", "cv_mse_mean"):
        assert second[f"champion_{figure}"] == pytest.approx(champion[figure]), figure
    assert second["interval_coverage"] == pytest.approx(champion["interval_coverage"])
    # the half of the sample is the sample's population: compared, judged, nothing shifted
    compared = comparison(warehouse)
    assert compared.loc["student_count", "change"] == (
        second["student_count"] - loads.iloc[0]["student_count"]
    )
    assert compared.loc[list(SHIFTED), "psi"].max() < 0.05
    assert not compared["is_shifted"].any()

    again = warehouse.run(half, "--skip-ml")  # the same file: nothing added
    assert again.returncode == 0, again.output[-3000:]
    assert "history: the published load is of this same file" in again.stdout
    pd.testing.assert_frame_equal(history(warehouse), loads)
    assert (comparison(warehouse)["psi"].dropna() == 0).all()

    shutil.rmtree(warehouse.directory / ".build", ignore_errors=True)
    rebuilt = warehouse.run(None, "--skip-ml")  # a rebuild from the published raw table
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    pd.testing.assert_frame_equal(history(warehouse), loads)


def test_a_shifted_file_is_refused_with_nothing_published_then_accepted_on_request(
    warehouse: Target, sample_published: Path, tmp_path: Path
) -> None:
    shifted = shifted_sample(tmp_path / "shifted.csv")
    before, inode = warehouse.snapshot(), warehouse.duckdb_path.stat().st_ino
    refused = warehouse.run(shifted, "--skip-ml")
    assert refused.returncode == 1, refused.output[-3000:]
    assert "Traceback" not in refused.output
    message = refused.stderr
    assert "refused by the load audit" in message and "Nothing was published" in message
    for name, label in SHIFTED.items():
        assert f"{label} ({name}): PSI " in message
    assert f"threshold {var('audit_max_psi'):g}" in message
    assert all(how in message for how in ACCEPT_HOW)
    assert "Gender (gender)" not in message  # only the shifted columns are named
    assert_same_snapshot(warehouse.snapshot(), before)
    assert warehouse.duckdb_path.stat().st_ino == inode  # the very file readers had
    assert warehouse.leftovers() == []

    accepted = warehouse.run(shifted, "--skip-ml", "--accept-shift")
    assert accepted.returncode == 0, accepted.output[-3000:]
    assert "audit: shift accepted (--accept-shift)" in accepted.stdout
    assert "SHIFTED (accepted) Parental involvement" in accepted.stdout  # in the summary
    assert history(warehouse)["source_file_sha256"].tolist() == [
        sha256(SAMPLE_CSV),
        sha256(shifted),
    ]
    compared = comparison(warehouse)
    factors = compared[compared["measure_kind"] == "factor"]
    assert set(factors.index[factors["is_shifted"]]) == set(SHIFTED)
    # every PSI as computed independently from both loads' accepted students
    previous = Target("duckdb", sample_published.parent).query(
        "select * from intermediate.int_students_featured"
    )
    this = warehouse.query("select * from intermediate.int_students_featured")
    for name, expected in population_stability(previous, this).items():
        assert factors.loc[name, "psi"] == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def population_stability(previous: pd.DataFrame, this: pd.DataFrame) -> dict[str, float]:
    """Each column's PSI, as the README defines it: categories by value (a blank as a value),
    numbers in bins cut at the previous load's deciles (the smallest number with at least k
    tenths of the students at or below it; edges below the largest number, each bin above
    its lower edge and at or below its upper one), shares floored."""
    floor = var("audit_psi_share_floor")
    result = {}
    for column in spf_columns():
        old, new = previous[column["name"]], this[column["name"]]
        if column["kind"] == "category":
            old, new = old.fillna("(blank)"), new.fillna("(blank)")
            bins = sorted(set(old) | set(new))
            old_shares = old.value_counts(normalize=True).reindex(bins, fill_value=0)
            new_shares = new.value_counts(normalize=True).reindex(bins, fill_value=0)
        else:
            values = np.sort(old.astype(float).to_numpy())
            n = len(values)
            cuts = {values[-(-k * n // 10) - 1] for k in range(1, 10)}
            edges = sorted(cut for cut in cuts if cut < values[-1])
            bins = range(len(edges) + 1)
            old_bins = np.searchsorted(edges, old.astype(float), side="left")
            new_bins = np.searchsorted(edges, new.astype(float), side="left")
            old_shares = pd.Series(old_bins).value_counts(normalize=True).reindex(bins).fillna(0)
            new_shares = pd.Series(new_bins).value_counts(normalize=True).reindex(bins).fillna(0)
        result[column["name"]] = sum(
            (max(b, floor) - max(a, floor)) * math.log(max(b, floor) / max(a, floor))
            for a, b in zip(old_shares, new_shares, strict=True)
        )
    return result


def test_the_sample_the_real_export_and_another_seed_follow_one_another(
    warehouse: Target, real_csv: Path, tmp_path: Path
) -> None:
    """The three files every term may bring publish one after another, none refused; the
    figures are the README's."""
    other_seed = tmp_path / "another_seed.csv"
    generated = subprocess.run(
        [sys.executable, "-m", "spf.sample", "--seed", "7", "--output", str(other_seed)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    largest = {}
    for name, path in (("real export", real_csv), ("another seed", other_seed)):
        result = warehouse.run(path, "--skip-ml")
        assert result.returncode == 0, f"{name}: {result.output[-3000:]}"
        compared = comparison(warehouse)
        assert not compared["is_shifted"].any(), name
        largest[name] = compared["psi"].max()
    assert history(warehouse)["source_file_sha256"].tolist() == [
        sha256(SAMPLE_CSV),
        sha256(real_csv),
        sha256(other_seed),
    ]
    # Sleep_Hours differs by design between the sample and the export: the largest PSI of
    # both steps, and the threshold's reason
    assert largest["real export"] == pytest.approx(0.354, abs=0.005)
    assert largest["another seed"] == pytest.approx(0.336, abs=0.005)
    assert max(largest.values()) < var("audit_max_psi")


def test_on_postgres_the_history_is_kept_and_a_shift_refused(tmp_path: Path) -> None:
    require_postgres()
    target = Target("postgres", tmp_path)
    try:
        first = target.run(None, "--skip-ml")
        assert first.returncode == 0, first.output[-3000:]
        shifted = shifted_sample(tmp_path / "shifted.csv")
        before = target.snapshot()
        refused = target.run(shifted, "--skip-ml")
        assert refused.returncode == 1, refused.output[-3000:]
        for name, label in SHIFTED.items():
            assert f"{label} ({name}): PSI " in refused.stderr
        assert_same_snapshot(target.snapshot(), before)
        assert target.leftovers() == []

        accepted = target.run(shifted, "--skip-ml", "--accept-shift")
        assert accepted.returncode == 0, accepted.output[-3000:]
        loads = history(target)
        assert loads["source_file_sha256"].tolist() == [sha256(SAMPLE_CSV), sha256(shifted)]
        assert loads["avg_hours_studied"].iloc[1] == pytest.approx(
            2 * loads["avg_hours_studied"].iloc[0], rel=1e-9
        )
        # the database's BI role reads the history through the marts
        with target.connection(user=target.bi_role) as connection, connection.cursor() as cursor:
            cursor.execute("select count(*) from marts.rpt_load_history")
            assert cursor.fetchone()[0] == 2
    finally:
        target.drop()


def test_make_run_passes_accept_shift() -> None:
    """`make run ACCEPT_SHIFT=1` runs the job with --accept-shift (make -n: printed, not run)."""
    env = {**os.environ, "RAW_CSV": ""}
    printed = subprocess.run(
        ["make", "-n", "run", "ACCEPT_SHIFT=1"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "--accept-shift" in printed.stdout
    plain = subprocess.run(
        ["make", "-n", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert "--accept-shift" not in plain.stdout
