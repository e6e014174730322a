"""The pipeline as a Dagster code location: the same steps as `make run` (pipeline.job.Job), as
assets from the raw file to the published warehouse, the report and the app.

    make orchestrate                                   # the UI on http://127.0.0.1:3000
    dagster definitions validate                       # found through [tool.dagster]
    dagster asset materialize -m orchestration.definitions --select '*'

One Dagster run is one run of the job: the run-scoped resource `spf_job` holds the job's session
(the warehouse lock, a fresh build area, the environment pointing dbt at it), opened by the first
asset (so a refused file or a busy warehouse fails that asset, with its one-line message) and
closed after the last; every asset calls one of the job's steps. A user's mistake fails its
step with the same message as `make run` (a `Failure`), not a traceback. Only the last
asset, `published_warehouse`, publishes, so a failed check, a refused audit or a failed step
publishes nothing and readers keep the previous warehouse. The run builds everything or
nothing: a run of some of the assets is refused (a part of the job cannot be published).

dbt runs in this process through the job's own runner (spf.dbt), one parse for the whole run;
its result events are turned into Dagster's (materializations, asset checks for the data tests)
with dagster-dbt's translation. No `from __future__ import annotations` here: Dagster reads the
annotations of the asset functions at definition time.
"""

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from pipeline.job import Job, print_summary
from spf.dbt import project_manifest
from spf.errors import user_error_message
from spf.profile import PROJECT_ROOT
from spf.publish import environment

MANIFEST = PROJECT_ROOT / "target" / "manifest.json"
# where the project's dbt sources live: a manifest older than any of them is parsed again
PROJECT_FILES = ("dbt_project.yml", "models", "macros", "tests", "seeds", "analyses")
RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})
ML_TABLES = ("model_metrics", "feature_importance", "predictions")
INBOX_VARIABLE = "SPF_INBOX"
RAW_FILE_TAG = "spf/raw_file"


# -- the dbt project's manifest ------------------------------------------------------------


def _newest_project_change() -> float:
    newest = 0.0
    for name in PROJECT_FILES:
        path = PROJECT_ROOT / name
        paths = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def dbt_manifest() -> Path:
    """target/manifest.json, parsed first when missing or older than the project's files. The
    parse runs with the build area's environment, as the job's own does, so the job's first dbt
    command reuses it (dbt re-parses everything when the profile it renders has changed)."""
    if not MANIFEST.exists() or MANIFEST.stat().st_mtime < _newest_project_change():
        with environment(Job().area.environ()):
            project_manifest()
    return MANIFEST


MANIFEST_DATA = json.loads(dbt_manifest().read_text())


class Translator(DagsterDbtTranslator):
    """dagster-dbt's keys (a model by its schema and name, a source by [source, table]), in
    the groups the run goes through: raw, warehouse, audit, ml (the training and the models
    over its outputs), publish."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] != "model":
            return super().get_group_name(dbt_resource_props)
        return "ml" if "ml_outputs" in dbt_resource_props.get("tags", []) else "warehouse"


TRANSLATOR = Translator()


def model_key(name: str) -> dg.AssetKey:
    """The asset key of one of the project's dbt models."""
    unique_id = f"model.{MANIFEST_DATA['metadata']['project_name']}.{name}"
    return TRANSLATOR.get_asset_spec(MANIFEST_DATA, unique_id, None).key


# -- the run's job -------------------------------------------------------------------------


def inbox() -> Path:
    """Where new exports arrive: SPF_INBOX, or inbox/ in the project."""
    path = Path(os.environ.get(INBOX_VARIABLE) or "inbox")
    return path if path.is_absolute() else PROJECT_ROOT / path


def settle_inbox_file(raw_csv: str | None, published: bool, reason: str | None) -> Path | None:
    """Move a file the run took from the inbox to inbox/processed/ (published) or
    inbox/refused/ (with `<name>.reason.txt` saying why); other files stay where they are."""
    if not raw_csv:
        return None
    path = Path(raw_csv)
    if path.parent.resolve() != inbox().resolve() or not path.exists():
        return None
    folder = inbox() / ("processed" if published else "refused")
    folder.mkdir(parents=True, exist_ok=True)
    moved = folder / path.name
    shutil.move(str(path), moved)
    if not published:
        (folder / f"{path.name}.reason.txt").write_text((reason or "the run failed") + "\n")
    return moved


@dataclass
class Run:
    """The job of one Dagster run, its session, and why a step of it failed (for the inbox's
    reason file)."""

    job: Job
    failure: str | None = None
    session: ExitStack = field(default_factory=ExitStack)

    def open(self) -> None:
        """Open the job's session (refuse a bad file, take the lock, reset the build area),
        held until the run's resources are torn down."""
        self.session.enter_context(self.job.session())

    def step(self, step: Callable[[], None]) -> None:
        """Run a step of the job; a user's mistake, or the warehouse lock lost while it ran,
        fails it as a `Failure` with its one-line message."""
        try:
            step()
        except BaseException as error:
            lost = self.job.lock_lost_before_publish  # then that is why the step stopped
            message = str(lost) if lost is not None else user_error_message(error)
            self.failure = message or str(error) or type(error).__name__
            if message is None:  # Ctrl-C, or a defect (with its traceback)
                raise
            raise dg.Failure(description=message) from None


def _executable_keys() -> set[dg.AssetKey]:
    return {key for assets in EXECUTABLE for key in assets.keys}


@dg.resource(
    config_schema={
        "raw_csv": dg.Field(
            str,
            default_value="",
            description="The export to load (default: keep the published raw table, or land"
            " the shipped sample when there is none).",
        ),
        "accept_shift": dg.Field(
            bool,
            default_value=False,
            description="Publish even when the audit finds a factor's distribution shifted"
            " beyond its threshold (as `python -m pipeline run --accept-shift`).",
        ),
    },
    description="One run of the main job (pipeline.job.Job): the warehouse lock and the build"
    " area, held from the first asset to the last.",
)
def spf_job(context: dg.InitResourceContext) -> Iterator[Run]:
    selection = context.dagster_run.asset_selection if context.dagster_run else None
    missing = _executable_keys() - set(selection) if selection is not None else set()
    if missing:
        raise dg.Failure(
            description="A run of this pipeline builds, audits and publishes the whole warehouse;"
            f" {len(missing)} of its assets were not selected (e.g."
            f" {sorted(k.to_user_string() for k in missing)[0]}). Select every asset"
            " (`--select '*'`, or the `load` job)."
        )
    raw_csv = context.resource_config["raw_csv"] or None
    if raw_csv and not Path(raw_csv).is_absolute():
        raw_csv = str(PROJECT_ROOT / raw_csv)
    run = Run(Job(raw_csv=raw_csv, accept_shift=context.resource_config["accept_shift"]))
    try:
        with run.session:
            yield run
    except BaseException as error:
        settle_inbox_file(raw_csv, published=False, reason=run.failure or str(error))
        raise
    moved = settle_inbox_file(raw_csv, run.job.published, run.failure)
    if moved is not None and context.log:
        context.log.info(f"moved {Path(raw_csv).name} to {moved.parent}")


def _dbt_step(context: dg.AssetExecutionContext, step: Callable[[], None]) -> Iterator[Any]:
    """Run a dbt step of the job and yield Dagster's events for dbt's results (a failed data
    test as a failed asset check), then re-raise when the step failed."""
    results: list[dict[str, Any]] = []

    def collect(message: Any) -> None:
        if message.info.name in RESULT_EVENTS:
            from dbt_common.events.functions import msg_to_dict

            results.append(msg_to_dict(message))

    run: Run = context.resources.spf_job
    run.job.dbt_callbacks = [collect]
    failure: dg.Failure | None = None
    try:
        run.step(step)
    except dg.Failure as error:
        failure = error
    finally:
        run.job.dbt_callbacks = []
    for raw_event in results:
        event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=MANIFEST_DATA, dagster_dbt_translator=TRANSLATOR, context=context
        )
    if failure is not None:
        raise failure


# -- the assets ------------------------------------------------------------------------------


@dg.asset(
    key=["spf", "student_performance_factors"],
    group_name="raw",
    required_resource_keys={"spf_job"},
    kinds={"csv"},
    description="The raw export, landed once per run in the build area by the engine's own"
    " reader (raw.student_performance_factors).",
)
def raw_export(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    run: Run = context.resources.spf_job
    job = run.job
    run.step(run.open)
    run.step(job.land)
    metadata: dict[str, Any] = {"file": job.raw_name}
    if job.raw is not None:
        metadata |= {"sha256": job.raw.sha256, "encoding": job.raw.encoding}
    return dg.MaterializeResult(metadata=metadata)


@dbt_assets(
    manifest=MANIFEST_DATA,
    exclude="tag:ml_outputs",
    dagster_dbt_translator=TRANSLATOR,
    name="warehouse_models",
    required_resource_keys={"spf_job"},
)
def warehouse_models(context: dg.AssetExecutionContext) -> Iterator[Any]:
    """dbt build of every model but the ML outputs', with every data test (Job.build)."""
    yield from _dbt_step(context, context.resources.spf_job.job.build)


@dg.asset(
    key="load_audit",
    group_name="audit",
    deps=[model_key("rpt_load_comparison")],
    required_resource_keys={"spf_job"},
    description="This load compared with the published one (marts.rpt_load_comparison): a"
    " factor whose distribution shifted beyond its threshold refuses the load, unless the run"
    " is configured with `accept_shift: true`.",
)
def load_audit(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    run: Run = context.resources.spf_job
    job = run.job
    run.step(job.audit)
    return dg.MaterializeResult(metadata=audit_metadata(job.comparison))


def audit_metadata(comparison: Any) -> dict[str, Any]:
    """The audit's figures as the asset's metadata: the load compared with, the largest PSIs,
    the shifted columns (accepted, since the step passed) and the whole comparison."""
    from spf.loads import largest_psis, previous_file, shifted

    previous = previous_file(comparison)
    if previous is None:
        return {"compared with": "nothing: the first load of this warehouse"}
    table = comparison.rename(
        columns={"label": "measure", "previous_value": "published load",
                 "this_value": "this load", "psi": "PSI", "is_shifted": "shifted"}
    )[["measure", "published load", "this load", "change", "PSI", "shifted"]]  # fmt: skip
    return {
        "compared with": previous,
        "distributions": largest_psis(comparison),
        "shifted (accepted)": ", ".join(shifted(comparison)["label"]) or "none",
        "comparison": dg.MetadataValue.md(table.to_markdown(index=False, floatfmt=".2f")),
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["ml", table],
            deps=[model_key("ml_exam_score_features"), "load_audit"],
            group_name="ml",
            kinds={"scikit-learn", "mlflow"},
            description=f"The ML step's `ml.{table}` (python -m ml train), tracked in MLflow.",
        )
        for table in ML_TABLES
    ],
    required_resource_keys={"spf_job"},
)
def trained_model(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
    """Train and evaluate the candidates on the features mart; the champion predicts every
    student (Job.train)."""
    run: Run = context.resources.spf_job
    job = run.job
    run.step(job.train)
    training = job.training
    metadata: dict[str, Any] = {"MLflow run": training.run_id}
    if training.model_version is not None:
        metadata["registered version"] = training.model_version
    else:
        metadata["not registered"] = training.refusal or ""
    for table in ML_TABLES:
        yield dg.MaterializeResult(asset_key=["ml", table], metadata=metadata)


@dbt_assets(
    manifest=MANIFEST_DATA,
    select="tag:ml_outputs",
    dagster_dbt_translator=TRANSLATOR,
    name="ml_output_models",
    required_resource_keys={"spf_job"},
)
def ml_output_models(context: dg.AssetExecutionContext) -> Iterator[Any]:
    """dbt build of the models over the ML step's outputs, with their tests
    (Job.build_predictions)."""
    yield from _dbt_step(context, context.resources.spf_job.job.build_predictions)


@dg.asset(
    key="published_warehouse",
    group_name="publish",
    deps=[*warehouse_models.keys, *ml_output_models.keys, *trained_model.keys, "load_audit"],
    required_resource_keys={"spf_job"},
    description="The tested build, published in one step with its champion (what readers see):"
    " the load recorded in the history, the docs site written, then the DuckDB file replaced"
    " or the Postgres schemas swapped.",
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    run: Run = context.resources.spf_job
    job = run.job
    run.step(job.record_load)
    if not job.area.docs_after_publish:
        run.step(job.docs)
    run.step(job.publish)
    if job.area.docs_after_publish:
        run.step(job.docs)
    with environment(job.area.published_environ() or {}):
        print_summary(job.target)
    return dg.MaterializeResult(
        metadata={"guarantee": job.area.guarantee, "engine": job.settings["type"]}
    )


@dg.asset(
    key="report",
    deps=["published_warehouse"],
    group_name="publish",
    kinds={"html"},
    required_resource_keys={"spf_job"},
    description="The HTML report (make report) of the published warehouse.",
)
def report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    from insights.report import DEFAULT_OUTPUT, write_report

    job: Job = context.resources.spf_job.job
    with environment(job.area.published_environ() or {}):
        path = write_report(DEFAULT_OUTPUT, job.target)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


streamlit_app = dg.AssetSpec(
    "streamlit_app",
    deps=["published_warehouse"],
    group_name="publish",
    kinds={"streamlit"},
    description="The Streamlit app (make app): KPIs, findings, predictions, read from the"
    " published marts.",
)

EXECUTABLE = [raw_export, warehouse_models, load_audit, trained_model, ml_output_models,
              published_warehouse, report]  # fmt: skip

load_job = dg.define_asset_job(
    "load",
    selection=dg.AssetSelection.assets(*EXECUTABLE),
    executor_def=dg.in_process_executor,
    description="The main job as one run: land, build and test, audit, train, predict, publish.",
)


# -- automation: the inbox sensor and the re-run schedule ----------------------------------


def _run_config(raw_csv: Path | None) -> dict[str, Any]:
    config = {"raw_csv": str(raw_csv) if raw_csv else ""}
    return {"resources": {"spf_job": {"config": config}}}


def inbox_files() -> list[Path]:
    """The files waiting in the inbox: regular, visible, not being written (.part, .tmp)."""
    folder = inbox()
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.suffix not in {".part", ".tmp", ".crdownload"}
    )


@dg.sensor(
    job=load_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A new or changed file in the inbox (SPF_INBOX, default inbox/) starts one run"
    " on it; the run moves it to inbox/processed/ or inbox/refused/.",
)
def inbox_sensor(context: dg.SensorEvaluationContext) -> Iterator[dg.RunRequest]:
    for path in inbox_files():
        stat = path.stat()
        yield dg.RunRequest(
            run_key=f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}",
            run_config=_run_config(path),
            tags={RAW_FILE_TAG: path.name},
        )


def latest_processed_file() -> Path | None:
    folder = inbox() / "processed"
    files = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
    return max(files, key=lambda p: p.stat().st_mtime_ns, default=None)


@dg.schedule(
    job=load_job,
    cron_schedule="0 6 * * 1",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Off by default: every Monday at 06:00, load the latest processed file again"
    " (or keep the published raw table when there is none).",
)
def rerun_latest(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    latest = latest_processed_file()
    tags = {RAW_FILE_TAG: latest.name} if latest else {}
    return dg.RunRequest(run_config=_run_config(latest), tags=tags)


defs = dg.Definitions(
    assets=[*EXECUTABLE, streamlit_app],
    jobs=[load_job],
    sensors=[inbox_sensor],
    schedules=[rerun_latest],
    resources={"spf_job": spf_job},
    executor=dg.in_process_executor,
)
