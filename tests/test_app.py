"""The Streamlit app, page by page, in Streamlit's headless AppTest against the sample warehouse."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from insights import sentences
from insights.dashboard import plain
from insights.findings import FINDINGS
from insights.prediction import form_fields
from insights.report import format_kpi
from spf.kpis import KPI_LABELS
from tests.conftest import PROJECT_ROOT, SAMPLE_CSV, Build, project_env, sample_rows, write_rows

APP = PROJECT_ROOT / "app"
PAGES = ["Home.py", *sorted(path.name for path in (APP / "pages").glob("*.py"))]


@pytest.fixture
def app_env(sample_warehouse: Build, monkeypatch: pytest.MonkeyPatch) -> Build:
    """The app reads the sample warehouse and its MLflow store, as `make app` would."""
    env = project_env(sample_warehouse.duckdb_path, sample_warehouse.duckdb_path.parent)
    for name in ("SPF_TARGET", "SPF_DUCKDB_PATH", "MLFLOW_TRACKING_URI"):
        monkeypatch.setenv(name, env[name])
    return sample_warehouse


def seen(markdown: str) -> str:
    """What a reader sees of Markdown whose punctuation is backslash-escaped (CommonMark)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def markdown_sources(app: AppTest) -> list[str]:
    """The source of every element on the page that Streamlit renders as Markdown."""
    elements = [*app.markdown, *app.caption, *app.title, *app.header, *app.subheader]
    alerts = [*app.success, *app.info, *app.warning, *app.error]
    metrics = [text for metric in app.metric for text in (metric.label, metric.value)]
    return [element.value for element in [*elements, *alerts]] + metrics


def page(name: str) -> AppTest:
    path = APP / name if name == "Home.py" else APP / "pages" / name
    return AppTest.from_file(str(path), default_timeout=180)


def run(name: str) -> AppTest:
    app = page(name).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize("name", PAGES)
def test_every_page_runs_without_errors(app_env: Build, name: str) -> None:
    app = run(name)
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value


def test_home_shows_the_kpis_of_the_mart(app_env: Build) -> None:
    app = run("Home.py")
    kpis = app_env.query("select * from marts.rpt_kpi_summary").iloc[0]
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown == {
        label: format_kpi(column, kpis[column]) for column, label in KPI_LABELS.items()
    }
    claims = app_env.query("select claim, verdict from marts.rpt_original_claims")
    text = " ".join(element.value for element in [*app.success, *app.warning])
    for claim in claims.itertuples():
        assert claim.claim in seen(text) and claim.verdict in seen(text)


def test_findings_page_charts_every_finding_and_the_ranking(app_env: Build) -> None:
    app = run("1_Findings.py")
    assert len(app.get("vega_lite_chart")) == 1 + len(FINDINGS)
    headers = [header.value for header in app.header]
    assert headers == ["Which factors matter", *(finding.title for finding in FINDINGS)]
    ranking = app.dataframe[0].value
    assert len(ranking) == 19


def test_data_quality_page_counts(app_env: Build) -> None:
    app = run("2_Data_quality.py")
    counts = app_env.query("select * from marts.rpt_load_reconciliation").iloc[0]
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["rows received"] == f"{counts['rows_received']:,}"
    assert shown["rows rejected"] == f"{counts['rows_rejected']:,}"
    reasons = app.dataframe[0].value
    assert reasons["rejection_reasons"].tolist() == ["exam_score 101 is outside 0 to 100"]


def test_model_quality_page_shows_the_champion(app_env: Build) -> None:
    app = run("3_Model_quality.py")
    champion = app_env.query(
        "select * from ml.model_metrics where is_champion order by trained_at desc limit 1"
    ).iloc[0]
    shown = {metric.label: metric.value for metric in app.metric}
    assert seen(shown["champion"]) == champion["model_name"]
    assert shown["hold-out R²"] == f"{champion['r2']:.3f}"


def test_loads_page_with_one_load_says_so_without_a_chart(app_env: Build) -> None:
    app = run("5_Loads.py")
    load = app_env.query("select * from marts.rpt_load_history").iloc[0]
    name = f"Load 1 (student_performance_factors.csv, landed {sentences.landed(load['loaded_at'])})"
    students = f"{load['student_count']:,.0f} students"
    assert app.text[0].value == f"{name} is the only load so far: {students}."
    assert [info.value for info in app.info] == [sentences.ONE_LOAD_SO_FAR]
    assert not app.get("vega_lite_chart")
    assert app.dataframe[0].value["Rows received"].tolist() == [f"{load['rows_received']:,}"]
    compared = f"{name} is the first load of this warehouse: there is nothing to compare it with."
    assert app.text[1].value == compared
    assert len(app.dataframe) == 1  # no comparison table


def test_form_with_empty_fields_says_which(app_env: Build) -> None:
    app = run("4_Predict.py")
    app.selectbox(key="field_gender").select("Female")
    app.button[0].click().run()
    assert len(app.error) == 1
    message = app.error[0].value
    assert message.startswith("Please fill in every field before predicting. Missing:")
    # in people's words, from vars.spf_columns
    assert "Parental involvement" in message and "School type" in message
    assert "Gender" not in message and "Teacher quality" not in message  # given / optional
    assert not app.metric


def test_form_predicts_a_student_as_the_champion_does(app_env: Build) -> None:
    """A sample student typed into the form gets the champion's prediction for the features
    the warehouse built for that student."""
    from ml.features import feature_matrix
    from ml.tracking import load_champion

    features = app_env.query(
        "select * from marts.ml_exam_score_features order by source_row_number limit 1"
    )
    raw = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False)
    raw = raw.iloc[int(features["source_row_number"].iloc[0]) - 1]
    # the same student: the file's row and the mart's row agree on their measures
    for column, name in (("Hours_Studied", "hours_studied"), ("Previous_Scores", "previous_score")):
        assert float(raw[column]) == float(features[name].iloc[0])
    champion = load_champion()
    expected = champion.pipeline.predict(
        feature_matrix(features, champion.pipeline.feature_names_in_)
    )[0]

    app = run("4_Predict.py")
    for field in form_fields():
        key = f"field_{field.name}"
        if field.kind == "category":
            app.selectbox(key=key).select(raw[field.raw])
        else:
            number = int if field.kind == "integer" else float
            app.number_input(key=key).set_value(number(raw[field.raw]))
    app.button[0].click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.metric[0].label == "predicted exam score"
    # shown to one decimal
    assert float(app.metric[0].value) == pytest.approx(expected, abs=0.05 + 1e-9)
    # with the interval, the chance of scoring below the at-risk score and the three reasons
    # that the warehouse holds for the same student
    stored = app_env.query(
        "select * from marts.fct_exam_score_predictions"
        f" where student_key = '{features['student_key'].iloc[0]}'"
    ).iloc[0]
    shown = {metric.label: metric.value for metric in app.metric}
    lower, upper = f"{stored['predicted_lower']:.1f}", f"{stored['predicted_upper']:.1f}"
    assert shown["90 % range (points)"] == f"{lower} to {upper}"
    chance = f"{stored['probability_below_at_risk_score'] * 100:.0f} %"
    assert shown["chance of scoring below 62"] == chance
    assert [text.value for text in app.text] == stored["top_reasons"].split("; ")
    assert app.text[0].value.startswith(stored["reason_1_factor"] + " ")


def upload(app: AppTest, frame: pd.DataFrame) -> AppTest:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return app.file_uploader[0].set_value(("s.csv", buffer.getvalue().encode(), "text/csv")).run()


def test_batch_upload_scores_rows_and_explains_rejected_ones(app_env: Build) -> None:
    students = pd.read_csv(SAMPLE_CSV, dtype=str, keep_default_na=False).head(4)
    students = students.drop(columns=["Exam_Score"])
    students.loc[2, "Attendance"] = "150"
    app = upload(run("4_Predict.py"), students)
    assert not app.exception and not app.error, [e.value for e in app.error]
    scored = app.dataframe[0].value
    assert len(scored) == 4
    assert scored["predicted_exam_score"].notna().tolist() == [True, True, False, True]
    assert scored.loc[2, "rejection_reasons"] == "attendance_pct 150 is outside 0 to 100"
    for column in ("predicted_lower", "predicted_upper", "probability_below_at_risk_score"):
        assert scored[column].notna().tolist() == [True, True, False, True], column
    assert (scored["predicted_lower"] <= scored["predicted_exam_score"]).sum() == 3
    assert scored.loc[2, "top_reasons"] == "" and scored.loc[0, "top_reasons"].count("points") == 3
    assert "1 rows could not be scored" in app.warning[0].value
    download = app.get("download_button")[0]
    assert download.proto.label == "Download predictions (CSV)"


def test_batch_upload_without_the_export_columns_is_refused(app_env: Build) -> None:
    app = upload(run("4_Predict.py"), pd.DataFrame({"Hours_Studied": ["10"], "Gender": ["Male"]}))
    assert len(app.error) == 1
    assert app.error[0].value.startswith("The file lacks the export's columns: Attendance,")
    assert not app.dataframe


def test_pages_explain_a_missing_warehouse(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SPF_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    app = page("Home.py").run()
    assert not app.exception
    assert "run `make run`" in seen(app.error[0].value)


def test_plain_escapes_every_markdown_and_html_character() -> None:
    crafted = "a*b_[c](d)<e> `f` :smile: $x$ #1. \\ & ~g~ |h| !i"
    assert plain(crafted) == (
        r"a\*b\_\[c\]\(d\)\<e\> \`f\` \:smile\: \$x\$ \#1\. \\ \& \~g\~ \|h\| \!i"
    )
    assert seen(plain(crafted)) == crafted
    assert plain("Élevé 男 42") == "Élevé 男 42"  # letters, digits and spaces as they are


# a raw file's path that Markdown would render as an image fetched from this host, then HTML
CRAFTED_FOLDERS = ("x![a](http:", "127.0.0.1:9")
CRAFTED_NAME = "p.png)<img src=x>.csv"


@pytest.fixture(scope="module")
def crafted_warehouse(build_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """A warehouse built from a file whose path is Markdown and HTML."""
    folder = tmp_path_factory.mktemp("crafted_raw").joinpath(*CRAFTED_FOLDERS)
    folder.mkdir(parents=True)
    raw = write_rows(folder / CRAFTED_NAME, sample_rows()[:201])
    build = build_warehouse(raw, "--skip-ml", name="crafted_name")
    assert build.result.returncode == 0, build.output
    return build


def test_a_crafted_file_name_is_shown_as_the_text_it_is(
    crafted_warehouse: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = project_env(crafted_warehouse.duckdb_path, crafted_warehouse.duckdb_path.parent)
    for name in ("SPF_TARGET", "SPF_DUCKDB_PATH", "MLFLOW_TRACKING_URI"):
        monkeypatch.setenv(name, env[name])
    source_file = crafted_warehouse.query(
        "select source_file from marts.rpt_load_reconciliation"
    ).iloc[0, 0]
    assert source_file.endswith("/x![a](http:/127.0.0.1:9/p.png)<img src=x>.csv")
    app = run("2_Data_quality.py")
    assert any(f"Raw file {source_file}, landed" in seen(c.value) for c in app.caption)
    loads = run("5_Loads.py")  # the file's name as the load history shows it, as plain text
    assert f"Load 1 ({CRAFTED_NAME}, landed " in loads.text[0].value
    assert loads.dataframe[0].value["File"].tolist() == [CRAFTED_NAME]
    for source in markdown_sources(app) + markdown_sources(loads):
        # the name's link and tag reach Markdown escaped only
        assert source_file not in source and CRAFTED_NAME not in source, source
        assert "](" not in source, source
        assert not re.search(r"(?<!\\)<img", source), source
