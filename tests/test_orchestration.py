"""The pipeline under Dagster (orchestration/): a run through Dagster publishes what `make run`
publishes, a failing check or a partial run publishes nothing, the inbox sensor asks for one run
per new file and the run files it under processed/ or refused/, the code location validates,
and the UI starts on loopback with the assets listed.

Every run is a subprocess on a DuckDB warehouse of its own, as `dagster asset materialize`
and a run launched by the UI are."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, Build
from tests.corpus import BY_NAME
from tests.helpers import (
    Finished,
    Running,
    Target,
    assert_same_snapshot,
    interrupt_run,
    lock_sessions,
    require_postgres,
    sample_slice,
    shifted_sample,
    terminate_backends,
    wait_until,
)

DAGSTER = [sys.executable, "-m", "dagster"]
LOCATION = ["-m", "orchestration.definitions"]


@dataclass
class Orchestrated:
    """A DuckDB warehouse published by one Dagster run on the sample, and its instance."""

    target: Target
    home: Path  # DAGSTER_HOME
    inbox: Path
    first: Finished

    def env(self, **extra: str) -> dict[str, str]:
        return self.target.env(DAGSTER_HOME=str(self.home), SPF_INBOX=str(self.inbox), **extra)

    def dagster(self, *args: str) -> Finished:
        result = subprocess.run(
            [*DAGSTER, *args], cwd=PROJECT_ROOT, env=self.env(),
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        return Finished(result.returncode, result.stdout, result.stderr)

    def materialize(
        self, *selection: str, raw_csv: Path | None = None, accept_shift: bool = False
    ) -> Finished:
        job = {"raw_csv": str(raw_csv or ""), "accept_shift": accept_shift}
        config = {"resources": {"spf_job": {"config": job}}}
        return self.dagster(
            "asset", "materialize", *LOCATION, "--select", ",".join(selection) or "*",
            "--config-json", json.dumps(config),
        )  # fmt: skip


def dagster_home(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", directory / "dagster.yaml")
    return directory


@pytest.fixture(scope="module")
def orchestrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orchestrated]:
    directory = tmp_path_factory.mktemp("dagster")
    target = Target("duckdb", directory / "warehouse")
    target.directory.mkdir()
    state = Orchestrated(target, dagster_home(directory / "home"), directory / "inbox", None)
    state.first = state.materialize()
    yield state


# -- one run through Dagster is one run of the job --------------------------------------------


def _published(query: object) -> dict[str, object]:
    """What readers of a published warehouse see that a run decides: every table's row count,
    the KPIs, the predictions with their intervals and reasons, the models' figures and
    which is the champion."""
    tables = query(
        "select schema_name || '.' || table_name as relation from duckdb_tables()"
        " where schema_name in ('raw', 'staging', 'intermediate', 'marts', 'ml') order by 1"
    )["relation"].tolist()
    state: dict[str, object] = {
        relation: int(query(f"select count(*) as n from {relation}")["n"].iloc[0])
        for relation in tables
    }
    state["kpis"] = query("select * from marts.rpt_kpi_summary").round(9).to_dict("records")
    state["predictions"] = (
        query(
            "select student_key, predicted_exam_score, predicted_lower, predicted_upper,"
            " probability_below_at_risk_score, top_reasons from marts.fct_exam_score_predictions"
            " order by student_key"
        )
        .round(9)
        .to_dict("records")
    )
    state["models"] = (
        query(
            "select model_name, is_champion, r2, cv_r2_mean, interval_coverage"
            " from marts.rpt_model_metrics order by model_name"
        )
        .round(9)
        .to_dict("records")
    )
    return state


def test_a_dagster_run_publishes_what_make_run_publishes(
    orchestrated: Orchestrated, sample_warehouse: Build
) -> None:
    """`dagster asset materialize --select '*'` on the sample publishes the same marts,
    predictions and champion as the main job on the sample; the build area is gone, the lock
    free, the champion alias set; the file was landed once (one landing in the whole run)."""
    first = orchestrated.first
    assert first.returncode == 0, first.output[-4000:]
    assert "Traceback" not in first.stdout
    target = orchestrated.target

    def query_dagster(sql: str) -> object:
        return target.query(sql)

    def query_make(sql: str) -> object:
        with duckdb.connect(str(sample_warehouse.duckdb_path), read_only=True) as connection:
            return connection.execute(sql).df()

    assert _published(query_dagster) == _published(query_make)
    assert target.leftovers() == []
    assert target.lock_is_free()
    assert target.champion() is not None
    assert first.output.count("landed ") <= 1  # DuckDB lands inside dbt's build: no line
    assert "ASSET_CHECK_EVALUATION" in first.output  # dbt's data tests are Dagster checks
    assert "published: readers keep the previous file" in first.output


def test_a_dagster_run_publishes_on_postgres(tmp_path: Path, sample_warehouse: Build) -> None:
    """The same assets on Postgres build in the shadow schemas and swap them in: the KPIs are
    the main job's, no shadow schema is left, the lock is free, the champion alias set."""
    require_postgres()
    target = Target("postgres", tmp_path / "warehouse")
    target.directory.mkdir()
    state = Orchestrated(target, dagster_home(tmp_path / "home"), tmp_path / "inbox", None)
    try:
        result = state.materialize()
        assert result.returncode == 0, result.output[-4000:]
        kpis = target.query("select * from marts.rpt_kpi_summary").round(9)
        expected = sample_warehouse.query("select * from marts.rpt_kpi_summary").round(9)
        assert kpis.to_dict("records") == expected.to_dict("records")
        assert target.leftovers() == []
        assert target.lock_is_free()
        assert target.champion() is not None
    finally:
        target.drop()


def test_a_dagster_run_on_postgres_that_loses_its_lock_publishes_nothing(tmp_path: Path) -> None:
    """The run's lock session is ended from outside while dbt builds: the step fails with the
    lock-lost message (not as an interruption), nothing is published, the lock is free."""
    require_postgres()
    target = Target("postgres", tmp_path / "warehouse")
    target.directory.mkdir()
    state = Orchestrated(target, dagster_home(tmp_path / "home"), tmp_path / "inbox", None)
    try:
        base = target.run(sample_slice(tmp_path / "base.csv", 1, 100), "--skip-ml")
        assert base.returncode == 0, base.output[-3000:]
        before = target.snapshot()
        new = sample_slice(tmp_path / "new.csv", 101, 300)
        config = {"resources": {"spf_job": {"config": {"raw_csv": str(new)}}}}
        running = Running(
            [*DAGSTER, "asset", "materialize", *LOCATION, "--select", "*",
             "--config-json", json.dumps(config)],
            state.env(),
        )  # fmt: skip
        running.wait_for(r"START sql")
        sessions = lock_sessions(target.database, running.pid)
        assert len(sessions) == 1, sessions
        terminate_backends(target.database, sessions)
        result = running.finish(600)
        assert result.returncode != 0
        assert "STEP_FAILURE" in result.output
        assert "this run lost the warehouse lock" in result.output, result.output[-6000:]
        assert "KeyboardInterrupt" not in result.output
        assert_same_snapshot(target.snapshot(), before)
        assert wait_until(target.lock_is_free)
    finally:
        target.drop()


def test_a_failing_check_publishes_nothing(orchestrated: Orchestrated, tmp_path: Path) -> None:
    """A file whose every row is rejected builds aside, fails a dbt test (a failed asset
    check) and publishes nothing: every table, the file's bytes and the champion are as they
    were, the build area removed, the lock free."""
    target = orchestrated.target
    before = target.snapshot()
    case = BY_NAME["every_row_rejected"]
    result = orchestrated.materialize(raw_csv=case.path(tmp_path))
    assert result.returncode != 0, result.output[-3000:]
    assert case.refused in result.output
    assert "ASSET_CHECK_EVALUATION" in result.output
    assert "published_warehouse - Dependencies for step published_warehouse" in result.output
    assert_same_snapshot(target.snapshot(), before)
    assert target.leftovers() == []
    assert target.lock_is_free()


def test_ctrl_c_during_a_dagster_run_publishes_nothing(orchestrated: Orchestrated) -> None:
    """Ctrl-C (SIGINT to the process group) while the models train: Dagster stops the run,
    the job's session removes the build area and frees the lock, nothing is published."""
    target = orchestrated.target
    before = target.snapshot()
    config = {"resources": {"spf_job": {"config": {"raw_csv": ""}}}}
    running = Running(
        [*DAGSTER, "asset", "materialize", *LOCATION, "--select", "*",
         "--config-json", json.dumps(config)],
        orchestrated.env(),
    )  # fmt: skip
    _, result = interrupt_run(running, "training", signal.SIGINT)
    assert result.returncode != 0
    assert "interrupted" in result.output.lower()
    assert_same_snapshot(target.snapshot(), before)
    assert target.leftovers() == []
    assert target.lock_is_free()


def test_a_run_of_some_of_the_assets_is_refused(orchestrated: Orchestrated) -> None:
    """Publishing a build area that was not built would publish an empty warehouse: a run
    that does not select every asset is refused before anything is built."""
    target = orchestrated.target
    before = target.snapshot()
    result = orchestrated.materialize("published_warehouse")
    assert result.returncode != 0
    assert "were not selected" in result.output
    assert_same_snapshot(target.snapshot(), before)
    assert target.lock_is_free()


def test_the_audit_refuses_a_shifted_file_and_the_run_config_accepts_it(
    orchestrated: Orchestrated, tmp_path: Path
) -> None:
    """A file whose distributions moved far from the published load's: the `load_audit`
    asset fails with the columns named, nothing is published; the same file with the run
    config `accept_shift: true` is published, the accepted shift in the asset's metadata and
    the load in the history."""
    target = orchestrated.target
    shifted = shifted_sample(tmp_path / "shifted.csv")
    before = target.snapshot()
    loads = len(target.query("select * from marts.rpt_load_history"))
    refused = orchestrated.materialize(raw_csv=shifted)
    assert refused.returncode != 0
    assert "load_audit - STEP_FAILURE" in refused.output
    assert "refused by the load audit" in refused.output
    assert "Parental involvement (parental_involvement): PSI " in refused.output
    assert "accept_shift: true" in refused.output
    assert_same_snapshot(target.snapshot(), before)
    assert target.leftovers() == []

    accepted = orchestrated.materialize(raw_csv=shifted, accept_shift=True)
    assert accepted.returncode == 0, accepted.output[-4000:]
    assert "audit: shift accepted" in accepted.output
    history = target.query("select * from marts.rpt_load_history order by load_number")
    assert len(history) == loads + 1
    assert history["source_file"].iloc[-1].endswith("shifted.csv")
    metadata = _audit_metadata(orchestrated)
    assert "Parental involvement" in metadata["shifted (accepted)"]
    assert "| Parental involvement" in metadata["comparison"]


def _audit_metadata(orchestrated: Orchestrated) -> dict[str, object]:
    """The latest materialization's metadata of `load_audit`, from the run's instance."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(orchestrated.home)) as instance:
        event = instance.get_latest_materialization_event(AssetKey("load_audit"))
    metadata = event.asset_materialization.metadata
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


# -- the inbox sensor ----------------------------------------------------------------------


@pytest.fixture
def sensor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    """The code location's inbox sensor, evaluated in this process on an inbox of its own."""
    monkeypatch.setenv("SPF_INBOX", str(tmp_path / "inbox"))
    (tmp_path / "inbox").mkdir()
    from dagster import DagsterInstance, build_sensor_context

    from orchestration.definitions import defs

    instance = DagsterInstance.ephemeral()

    def evaluate() -> list[object]:
        context = build_sensor_context(instance=instance, definitions=defs)
        return list(defs.get_sensor_def("inbox_sensor")(context) or [])

    yield evaluate
    instance.dispose()


def test_the_sensor_asks_for_one_run_per_new_or_changed_file(
    sensor: object, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    assert sensor() == []
    export = sample_slice(inbox / "term 2.csv", 1, 40)
    (inbox / "half-copied.csv.part").write_text("Hours_Studied\n")
    (inbox / ".hidden.csv").write_text("Hours_Studied\n")
    (inbox / "processed").mkdir()
    requests = sensor()
    assert len(requests) == 1
    request = requests[0]
    assert request.tags["spf/raw_file"] == "term 2.csv"
    assert request.run_config["resources"]["spf_job"]["config"]["raw_csv"] == str(export)
    assert [r.run_key for r in sensor()] == [request.run_key]  # the same file: the same key
    stat = export.stat()
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [r.run_key for r in sensor()] != [request.run_key]  # changed: a new run
    export.rename(inbox / "processed" / export.name)
    assert sensor() == []  # processed: no run


def test_a_refused_inbox_file_moves_to_refused_with_its_reason(
    orchestrated: Orchestrated, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run the sensor asks for on a file that is refused: the file moves to
    inbox/refused/ beside a note of why, and the published warehouse is as it was."""
    target, inbox = orchestrated.target, orchestrated.inbox
    inbox.mkdir(exist_ok=True)
    case = BY_NAME["header_only"]
    refused = case.path(inbox)
    before = target.snapshot()
    monkeypatch.setenv("SPF_INBOX", str(inbox))
    from dagster import DagsterInstance, build_sensor_context

    from orchestration.definitions import defs

    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, definitions=defs)
        [request] = list(defs.get_sensor_def("inbox_sensor")(context))
    config = inbox.parent / "run_config.yaml"  # JSON is YAML
    config.write_text(json.dumps(request.run_config))
    result = orchestrated.dagster("job", "execute", *LOCATION, "-j", "load", "-c", str(config))
    assert result.returncode != 0
    assert not refused.exists()
    moved = inbox / "refused" / refused.name
    assert moved.exists()
    assert case.refused in (inbox / "refused" / f"{refused.name}.reason.txt").read_text()
    assert case.refused in result.output
    # the raw file's asset fails with the message (a Failure), not the resources' set-up with
    # the project's exception and its traceback
    assert "spf__student_performance_factors - STEP_FAILURE" in result.output
    assert "RESOURCE_INIT_FAILURE" not in result.output and "RawFileRefused" not in result.output
    assert_same_snapshot(target.snapshot(), before)
    assert target.lock_is_free()


# -- the code location and the UI ----------------------------------------------------------


def test_the_code_location_is_found_and_validates_without_flags(tmp_path: Path) -> None:
    """From the project root `dagster definitions validate` finds the code location through
    [tool.dagster] in pyproject.toml."""
    env = dict(os.environ, DAGSTER_HOME=str(dagster_home(tmp_path / "home")))
    result = subprocess.run(
        [*DAGSTER, "definitions", "validate"], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful for code location student_performance" in (
        result.stdout + result.stderr
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(port: int, query: str) -> dict | None:
    """The answer of the UI's GraphQL API, or None while it is not up."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)["data"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


ASSETS = "{ assetNodes { assetKey { path } } }"
RUNS = "{ runsOrError { ... on Runs { results { status tags { key value } } } } }"


def test_make_orchestrate_serves_the_assets_and_loads_an_inbox_file_by_itself(
    tmp_path: Path,
) -> None:
    """`make orchestrate` starts Dagster's UI on 127.0.0.1 (its GraphQL API lists the assets
    from the raw file to the app; nothing listens on another address) and its daemon: a file
    already in the inbox is picked up by the sensor, queued, run and published with nobody
    launching anything, and moves to inbox/processed/."""
    target = Target("duckdb", tmp_path / "warehouse")
    target.directory.mkdir()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    export = sample_slice(inbox / "term 1.csv", 1, 3000)
    port = _free_port()
    log = tmp_path / "orchestrate.log"  # a file, not a pipe: a full pipe would stall the run
    with log.open("w") as output:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "orchestrate", f"DAGSTER_PORT={port}",
             f"DAGSTER_HOME={tmp_path / 'home'}"],
            cwd=PROJECT_ROOT, env=target.env(SPF_INBOX=str(inbox)), stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def runs() -> list[dict]:
        answer = _graphql(port, RUNS) or {}
        return answer.get("runsOrError", {}).get("results", [])

    try:
        assert wait_until(lambda: _graphql(port, ASSETS), seconds=180), "the UI did not start"
        listed = [
            "/".join(node["assetKey"]["path"]) for node in _graphql(port, ASSETS)["assetNodes"]
        ]
        for key in ("spf/student_performance_factors", "staging/stg_spf__students",
                    "marts/rpt_kpi_summary", "ml/predictions", "published_warehouse",
                    "report", "streamlit_app"):  # fmt: skip
            assert key in listed
        other = _other_address()
        if other is not None:
            with socket.socket() as probe, pytest.raises(OSError):
                probe.settimeout(2)
                probe.connect((other, port))

        finished = {"SUCCESS", "FAILURE", "CANCELED"}
        assert wait_until(
            lambda: runs() and all(run["status"] in finished for run in runs()), seconds=900
        ), f"no finished run: {runs()}\n{log.read_text()[-4000:]}"
        [run] = runs()
        assert run["status"] == "SUCCESS", log.read_text()[-4000:]
        assert {"key": "spf/raw_file", "value": "term 1.csv"} in run["tags"]
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    assert not export.exists() and (inbox / "processed" / "term 1.csv").exists()
    history = target.query("select source_file, rows_accepted from marts.rpt_load_history")
    assert [Path(name).name for name in history["source_file"]] == ["term 1.csv"]
    assert history["rows_accepted"].tolist() == [3000]
    assert target.leftovers() == []
    assert target.lock_is_free()
    assert target.champion() is not None


def _other_address() -> str | None:
    """An address of this machine other than loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
