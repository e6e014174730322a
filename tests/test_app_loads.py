"""The load history and the latest load's comparison, as the app's Loads page and the report's
Loads section show them, on a real warehouse of three loads (one build shared by both): the
shipped sample (the session's sample warehouse, copied), its first 2,000 students, then its
next 2,000 with every "Low" motivation recoded "High" (a shift, accepted)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from insights import sentences
from insights.dashboard import plain
from insights.data import read_snapshot
from insights.report import render
from spf.definitions import var
from tests.conftest import PROJECT_ROOT, Build, project_env, run_main_job, sample_rows, write_rows
from tests.helpers import use_warehouse_in_process

LOADS_PAGE = PROJECT_ROOT / "app" / "pages" / "5_Loads.py"
SHIFTED = "motivation_level"


def recoded_slice(path: Path, first: int, last: int) -> Path:
    """The sample's students `first` to `last` with Motivation_Level "Low" recoded "High":
    values every check accepts, a distribution far from the sample's."""
    header, *rows = sample_rows()
    column = header.index("Motivation_Level")
    recoded = [
        [*row[:column], "High" if row[column] == "Low" else row[column], *row[column + 1 :]]
        for row in rows[first - 1 : last]
    ]
    return write_rows(path, [header, *recoded])


@pytest.fixture(scope="module")
def three_loads(sample_warehouse: Build, tmp_path_factory: pytest.TempPathFactory) -> Build:
    directory = tmp_path_factory.mktemp("three_loads")
    path = directory / "warehouse.duckdb"
    shutil.copy(sample_warehouse.duckdb_path, path)
    rows = sample_rows()
    first_half = write_rows(directory / "first half.csv", rows[:2001])
    second = run_main_job(path, first_half, "--skip-ml")
    assert second.result.returncode == 0, second.output[-3000:]
    recoded = recoded_slice(directory / "recoded motivation.csv", 2001, 4000)
    third = run_main_job(path, recoded, "--skip-ml", "--accept-shift")
    assert third.result.returncode == 0, third.output[-3000:]
    return third


@pytest.fixture
def loads_env(three_loads: Build, monkeypatch: pytest.MonkeyPatch) -> Build:
    """The app and the report, in this process, read the three loads' warehouse."""
    use_warehouse_in_process(
        monkeypatch, project_env(three_loads.duckdb_path, three_loads.duckdb_path.parent)
    )
    return three_loads


def history(build: Build) -> pd.DataFrame:
    return build.query("select * from marts.rpt_load_history order by load_number")


def comparison(build: Build) -> pd.DataFrame:
    return build.query("select * from marts.rpt_load_comparison").set_index("measure")


def test_the_warehouse_holds_three_loads_the_last_shifted(loads_env: Build) -> None:
    loads = history(loads_env)
    assert loads["load_number"].tolist() == [1, 2, 3]
    assert [Path(name).name for name in loads["source_file"]] == [
        "student_performance_factors.csv",
        "first half.csv",
        "recoded motivation.csv",
    ]
    compared = comparison(loads_env)
    assert compared["previous_source_file_sha256"].eq(loads["source_file_sha256"][1]).all()
    assert compared.index[compared["is_shifted"]].tolist() == [SHIFTED]


def test_report_shows_the_kpis_across_loads(loads_env: Build) -> None:
    html = render(read_snapshot())
    loads = history(loads_env)
    section = html[html.index("<h2>Loads</h2>") : html.index("<h2>Method</h2>")]
    assert "<p>3 loads so far, from load 1 (student_performance_factors.csv, landed " in section
    # one line chart per KPI, each point the load's own value
    labels = var("kpi_labels")
    assert section.count("<svg class='trend'") == len(labels)
    for column, label in labels.items():
        assert f"aria-label='{label}'" in section
        for load in loads.itertuples():
            value = sentences.format_kpi(column, getattr(load, column))
            landed = sentences.landed(load.loaded_at)
            title = f"load {load.load_number} ({Path(load.source_file).name}, {landed}): {value}"
            assert f"<title>{title}</title>" in section, title
    first, latest = loads.iloc[0], loads.iloc[-1]
    change = latest["student_count"] - first["student_count"]
    assert (
        f"From load 1 to load 3: students {first['student_count']:,.0f} →"
        f" {latest['student_count']:,.0f} (−{abs(change):,.0f}), average exam score"
    ) in section
    # every load in the table, in people's words
    assert "<th>Rows received</th>" in section and "rows_received" not in section
    for load in loads.itertuples():
        assert f"<td>{Path(load.source_file).name}</td>" in section
        assert f"<td>{load.rows_received:,}</td>" in section


def test_report_compares_the_latest_load_with_the_one_before(loads_env: Build) -> None:
    html = render(read_snapshot())
    section = html[html.index("The latest load compared with the one before") :]
    compared = comparison(loads_env)
    assert "Load 3 (recoded motivation.csv, landed " in section
    assert "compared with load 2 (first half.csv, landed " in section
    assert section.index("rows received") < section.index("rows accepted")
    # the row counts and the KPIs, each with its previous value, this load's and the change
    for measure, kind in (("rows_received", "rows"), ("avg_exam_score", "kpi")):
        row = compared.loc[measure]
        cells = [
            row["label"],
            sentences.format_measure(kind, measure, row["previous_value"]),
            sentences.format_measure(kind, measure, row["this_value"]),
            sentences.format_change(kind, measure, row["change"]),
        ]
        assert "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>" in section
    # the largest PSI first, the shifted column named with its figure, and accepted
    label, psi = compared.loc[SHIFTED, "label"], compared.loc[SHIFTED, "psi"]
    assert f"the largest: {label} {psi:.2f}, " in section
    assert (
        "1 column shifted beyond the threshold, and the load was published with the shift accepted:"
        f" {label} (PSI {psi:.2f})."
    ) in section
    assert "aria-label='How far each column&#x27;s distribution moved'" in section
    assert f"threshold {var('audit_max_psi'):g}" in section


def test_loads_page_charts_each_kpi_and_compares_the_loads(loads_env: Build) -> None:
    app = AppTest.from_file(str(LOADS_PAGE), default_timeout=180).run()
    assert not app.exception and not app.error, [e.value for e in [*app.exception, *app.error]]
    text = [element.value for element in app.text]
    assert text[0].startswith("3 loads so far, from load 1 (student_performance_factors.csv,")
    assert [header.value for header in app.header] == [
        "The KPIs across loads",
        "Every load",
        "The latest load compared with the one before",
    ]
    # a line chart per KPI, then the PSIs
    charts = app.get("vega_lite_chart")
    assert len(charts) == len(var("kpi_labels")) + 1
    loads = history(loads_env)
    table = app.dataframe[0].value
    assert table["Load"].tolist() == ["1", "2", "3"]
    assert table["Rows received"].tolist() == [f"{n:,}" for n in loads["rows_received"]]
    assert table["File"].tolist()[1:] == ["first half.csv", "recoded motivation.csv"]
    compared = comparison(loads_env)
    shown = app.dataframe[1].value.set_index("Measure")
    exam = compared.loc["avg_exam_score"]
    assert shown.loc[exam["label"], "This load"] == f"{exam['this_value']:.2f}"
    assert shown.loc[exam["label"], "Previous load"] == f"{exam['previous_value']:.2f}"
    assert any("compared with load 2 (first half.csv" in line for line in text)
    label, psi = compared.loc[SHIFTED, "label"], compared.loc[SHIFTED, "psi"]
    shift = f"Published with a shift accepted: {plain(f'{label} (PSI {psi:.2f})')}."
    assert app.warning[0].value == shift


def test_home_points_to_the_loads(loads_env: Build) -> None:
    app = AppTest.from_file(str(PROJECT_ROOT / "app" / "Home.py"), default_timeout=180).run()
    assert not app.exception
    assert any(
        caption.value.startswith("Load 3 of this warehouse: the KPIs across loads")
        for caption in app.caption
    )


def test_a_rebuild_from_the_latest_loads_file_says_what_it_was_compared_with(
    loads_env: Build,
) -> None:
    """`make run` without a file rebuilds from the latest load's file, which adds no load: its
    comparison is with that same load, and the words say so (the comparison's previous file
    set to the latest load's, as such a rebuild publishes it)."""
    snapshot = read_snapshot()
    latest = snapshot.load_history.iloc[-1]
    rebuilt = dataclasses.replace(
        snapshot,
        load_comparison=snapshot.load_comparison.assign(
            previous_source_file=latest["source_file"],
            previous_source_file_sha256=latest["source_file_sha256"],
        ),
    )
    compared = rebuilt.compared_loads()
    assert compared.same_file and compared.previous["load_number"] == 3
    assert sentences.comparison_sentence(rebuilt.load_comparison, compared).startswith(
        "The published warehouse was rebuilt from the file of the latest load, load 3"
        " (recoded motivation.csv, landed "
    )
    # and as read: load 3 compared with load 2, found by its file's SHA-256
    compared = snapshot.compared_loads()
    assert not compared.same_file and compared.previous["load_number"] == 2
