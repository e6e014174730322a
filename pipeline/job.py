"""The main job's steps, defined once: land the raw export, build and test the warehouse in the
run's build area, train, build the predictions, write the docs, publish, summarise.

`python -m pipeline run` (`make run`) runs them in order (`run`); the Dagster assets in
orchestration/ run the same steps as assets. A `Job` holds the run's state between steps; its
`session()` holds the warehouse lock and the build area, removes the area and re-raises when a
step fails or is interrupted, so readers keep the published warehouse.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spf.dbt import DbtCommandFailed, release_connections, run_dbt
from spf.interrupts import raise_if_requested
from spf.kpis import KPI_LABELS
from spf.lock import LockLost
from spf.profile import PROJECT_ROOT, target_settings
from spf.publish import BuildArea, build_area, environment
from spf.rawfile import RawFile, RawFileRefused, display_path, inspect_raw_file
from spf.warehouse import open_warehouse

SAMPLE_CSV = "seeds/student_performance_factors.csv"
DATA_ONLY = ["--exclude-resource-type", "unit_test"]
DOCS_DIR = PROJECT_ROOT / "target"


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped a run; `message` says what readers see now."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Steps:
    """Numbered progress lines with elapsed times, so nothing sits silent."""

    def __init__(self, total: int) -> None:
        self.total, self.number, self.started = total, 0, time.perf_counter()

    def start(self, text: str) -> None:
        self.number += 1
        elapsed = time.perf_counter() - self.started
        print(f"\n==> [{self.number}/{self.total}] {text}  (t+{elapsed:.1f}s)", flush=True)


@contextmanager
def landing_skipped() -> Iterator[None]:
    """dbt commands run inside do not land the raw file again (see land_raw_students)."""
    with environment({"SPF_SKIP_LANDING": "1"}):
        yield


@dataclass
class Job:
    """One run of the main job against one target."""

    target: str | None = None
    raw_csv: str | None = None  # None: keep the published raw table (or land the sample)
    accept_shift: bool = False  # publish even when the audit finds a factor's distribution shifted
    settings: dict[str, Any] = field(init=False)
    area: BuildArea = field(init=False)
    raw: RawFile | None = field(init=False, default=None)
    variables: dict[str, object] = field(init=False, default_factory=dict)
    # environment variables of the run's dbt commands (the user's name of the raw file)
    dbt_environ: dict[str, str] = field(init=False, default_factory=dict)
    # called with each of dbt's events of the run's dbt commands (the Dagster assets collect
    # the nodes' results with one)
    dbt_callbacks: list[Callable[[Any], None]] = field(init=False, default_factory=list)
    training: Any = field(init=False, default=None)  # ml.train.TrainingResult
    published: bool = field(init=False, default=False)
    predictions_built: bool = field(init=False, default=False)
    # marts.rpt_load_comparison of this load (audit): what changed since the published load
    comparison: Any = field(init=False, default=None)  # pandas.DataFrame

    def __post_init__(self) -> None:
        self.settings = target_settings(self.target)
        self.area = build_area(self.settings)

    @property
    def raw_name(self) -> str:
        return display_path(self.raw_csv) if self.raw_csv else SAMPLE_CSV

    # -- the run's frame -------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Job]:
        """Refuse a bad file before anything changes, take the lock, reset the build area and
        point dbt and the warehouse at it; on any failure or interruption, remove the area."""
        self.raw = inspect_raw_file(Path(self.raw_csv)) if self.raw_csv else None
        prepare_target(self.settings)
        with ExitStack() as stack:
            stack.enter_context(self.area.lock())
            self.area.reset()
            self.area.keep_history()  # the published load history, which this run extends
            try:
                with environment(self.area.environ()):
                    yield self
                if not self.published:  # a caller (a Dagster run) stopped before publishing
                    self._discard()
            except KeyboardInterrupt:
                self._discard()
                if self.lock_lost_before_publish:
                    raise self.lock_lost_before_publish from None
                if self.published:
                    raise
                raise RunInterrupted(
                    "interrupted: nothing was published; the warehouse, its predictions and"
                    " the champion are as they were before this run"
                ) from None
            except BaseException:
                self._discard()
                raise

    @property
    def lock_lost_before_publish(self) -> Exception | None:
        """Why the run stopped, when it lost the warehouse lock before publishing (the lock's
        watchdog interrupts whatever step is running), else None."""
        return None if self.published else self.area.lock_lost

    def _discard(self) -> None:
        release_connections()
        if not self.published and not self.area.lock_lost:
            try:
                self.area.reset()
            except LockLost:  # the shadow schemas may be another run's now: left to it
                pass

    # -- the steps ---------------------------------------------------------------------------

    def land(self) -> None:
        """Put the raw table in the build area; keep the dbt vars that finish the landing.

        With a file: it is landed (on DuckDB and Spark by dbt's on-run-start hook, from a file
        the runner names in its build area: a link to the user's file, or a UTF-8 copy when it
        is Latin-1 or UTF-16; on Postgres here, with COPY). The user's path reaches dbt as the
        value of SPF_RAW_SOURCE_FILE, never as a --vars value (which dbt renders as a
        template) nor as a path a reader could expand as a pattern. Without a file: the
        published raw table is kept or, when there is none yet, the shipped sample landed."""
        raw = self.raw
        if raw is None and self.area.keep_raw():
            print("raw table kept as published (no raw file given)")
            return
        if raw is None:
            raw = inspect_raw_file(PROJECT_ROOT / SAMPLE_CSV)
        if raw.needs_conversion:
            print(f"note: '{raw.name}' is {raw.encoding} text; landing a UTF-8 copy of it")
        if raw.encoding == "parquet" and self.settings["type"] != "duckdb":
            raise RawFileRefused(
                raw.path,
                f"is a Parquet file, which the {self.settings['type']} target does not read yet",
                "Use the duckdb target for Parquet, or pass the export as CSV.",
            )
        if self.settings["type"] == "postgres":
            from spf.landing import land_postgres

            with open_warehouse(self.target) as warehouse:
                started = time.perf_counter()
                rows = land_postgres(warehouse.connect(), raw, schema=warehouse.schema("raw"))
            seconds = time.perf_counter() - started
            print(f"landed {rows:,} rows of {raw.name} with COPY in {seconds:.1f}s")
            return
        self.variables = {
            "raw_csv": str(raw.landing_file(self.area.scratch)),
            "raw_format": "parquet" if raw.encoding == "parquet" else "csv",
            "raw_source_sha256": raw.sha256,
        }
        self.dbt_environ = {"SPF_RAW_SOURCE_FILE": raw.name}

    def dbt(self, args: list[str]) -> None:
        """A dbt command against the build area, with the run's vars."""
        with environment(self.dbt_environ):
            run_dbt(args, self.target, self.variables, self.dbt_callbacks)

    def build(self) -> None:
        """dbt build of everything but the ML outputs' models, every data test included (lands
        the file). Unit tests check the SQL's logic, not the data, so they run in `make test`
        (`dbt test --select test_type:unit`), not on every load."""
        try:
            self.dbt(["build", "--exclude", "tag:ml_outputs", *DATA_ONLY])
        except DbtCommandFailed:
            raise DbtCommandFailed(explain_failed_build(self.target, self.raw_name)) from None

    def audit(self) -> None:
        """Compare this load with the published one (marts.rpt_load_comparison); refuse it,
        publishing nothing, when a factor's distribution shifted beyond the thresholds, unless
        `accept_shift`. Runs after `build`, before training."""
        from spf.loads import audit_lines, read_comparison, refusal, shifted

        release_connections()  # dbt-duckdb holds the build file open read-write in this process
        with open_warehouse(self.target) as warehouse:
            self.comparison = read_comparison(warehouse)
        if len(shifted(self.comparison)) and not self.accept_shift:
            in_place = self.area.published_environ() is None  # Spark: built in place
            raise refusal(self.comparison, self.raw_name, in_place)
        for line in audit_lines(self.comparison, self.accept_shift):
            print(line)

    def record_load(self) -> None:
        """Add this load to the history in the build area (published with it); a load of the
        file the published warehouse holds (same SHA-256) adds nothing. Runs before `publish`.
        The load's row is marts.rpt_load_summary (built with the predictions; built here, with
        no champion, when the ML step was skipped) and its profile marts.rpt_load_profile."""
        from spf.loads import record_load

        if not self.predictions_built:  # (target/run_results.json stays the build's)
            with landing_skipped():
                self.dbt(["build", "--select", "+rpt_load_summary,tag:ml_outputs", *DATA_ONLY,
                          "--no-write-json"])  # fmt: skip
        release_connections()
        with open_warehouse(self.target) as warehouse:
            number = record_load(warehouse)
        if number is None:
            print("history: the published load is of this same file (SHA-256): nothing added")
        else:
            print(f"history: recorded as load {number} (marts.rpt_load_history)")

    def train(self) -> None:
        from ml.train import train

        self.training = train(target=self.target)

    def build_predictions(self) -> None:
        with landing_skipped():  # the raw file is landed once per job
            self.dbt(["build", "--select", "tag:ml_outputs", *DATA_ONLY])
        self.predictions_built = True

    def docs(self) -> None:
        with landing_skipped():
            if self.published:  # against the published schemas (Postgres: not the shadows)
                with environment(self.area.published_environ() or {}):
                    run_dbt(["docs", "generate", "--static"], self.target)
            else:
                self.dbt(["docs", "generate", "--static"])

    def publish(self) -> None:
        """Publish the tested build area in one step with its champion: the version this run
        registered (training recorded it in the build area's ml.champion), or else the one the
        published warehouse had, kept. Then move this warehouse's own alias to a new one."""
        release_connections()
        raise_if_requested()  # an interruption a library swallowed still stops the publish
        registered = self.training.model_version if self.training is not None else None
        published = self.area.published_environ()
        if registered is None and published is not None:
            from ml.data import keep_published_champion

            kept = keep_published_champion(self.target, published)
            if kept is not None:
                print(f"champion: kept version {kept.model_version}, the warehouse's own")
            release_connections()
        self.area.publish()
        self.published = True
        self.area.clear_scratch()
        print(f"published: {self.area.guarantee}")
        if registered is not None:
            from ml import tracking
            from spf.warehouse import warehouse_identity

            alias = tracking.promote(registered, warehouse_identity(self.settings))
            print(f"champion: '{tracking.model_uri(alias)}' is now version {registered}")


def run(
    raw_csv: str | None,
    target: str | None,
    skip_ml: bool,
    skip_docs: bool,
    accept_shift: bool = False,
) -> None:
    """The main job, every step in order."""
    job = Job(target=target, raw_csv=raw_csv, accept_shift=accept_shift)
    docs_early = not skip_docs and not job.area.docs_after_publish
    docs_late = not skip_docs and job.area.docs_after_publish
    steps = Steps(total=6 + (0 if skip_ml else 2) + (0 if skip_docs else 1))
    source = (
        display_path(raw_csv)
        if raw_csv
        else "no file given: the published raw table (or the shipped sample)"
    )
    with job.session():
        steps.start(f"Landing {source} in the build area (engine: {job.settings['type']})")
        job.land()
        steps.start("Building and testing the warehouse aside: dbt build")
        job.build()
        steps.start("Auditing this load against the published one")
        job.audit()
        if not skip_ml:
            steps.start("Training and evaluating the exam-score models (ml train)")
            job.train()
            steps.start("Building the predictions: dbt build --select tag:ml_outputs")
            job.build_predictions()
        steps.start("Recording this load in the load history")
        job.record_load()
        if docs_early:
            steps.start("Writing the docs site: dbt docs generate --static")
            job.docs()
        steps.start("Publishing the tested warehouse")
        job.publish()
        if docs_late:
            steps.start("Writing the docs site: dbt docs generate --static")
            job.docs()
    steps.start("Summary")
    print_summary(target)


def land_only(raw_csv: str | None, target: str | None) -> None:
    """`python -m pipeline land`: land a file in the target's raw table directly, for plain dbt
    use (`dbt build` next). `python -m pipeline run` lands in its build area instead."""
    settings = target_settings(target)
    prepare_target(settings)
    raw = inspect_raw_file(Path(raw_csv) if raw_csv else PROJECT_ROOT / SAMPLE_CSV)
    area = build_area(settings)
    with area.lock():
        area.reset()
        job = Job(target=target, raw_csv=str(raw.path))
        job.raw = raw
        job.land()
        if job.variables:  # DuckDB and Spark: the landing macro, run on its own
            job.dbt(["run-operation", "land_raw_students"])
            release_connections()
        area.clear_scratch()


def prepare_target(settings: dict) -> None:
    """What a Postgres target needs before a run: its database and that database's own BI
    role (spf.postgres.bi_role), which may connect to it only."""
    if settings["type"] != "postgres":
        return
    from spf.postgres import bi_role, ensure_bi_role, ensure_database

    bi_role(settings["dbname"])  # a name that cannot be a role is refused before any change
    if ensure_database(settings):
        print(f"created database {settings['dbname']}")
    with environment({"SPF_SCHEMA_SUFFIX": ""}), open_warehouse(settings["target_name"]) as w:
        ensure_bi_role(w.connect(), settings["dbname"])


def explain_failed_build(target: str | None, raw_name: str) -> str:
    """Why the build failed, in the user's terms when the file is the reason."""
    release_connections()  # dbt-duckdb holds the build file open read-write in this process
    try:
        with open_warehouse(target, read_only=True) as warehouse:
            counts = warehouse.query(
                "select count(*) as received,"
                " count(case when is_accepted then 1 end) as accepted,"
                " max(rejection_reasons) as reason"
                f" from {warehouse.relation('staging', 'stg_spf__students')}"
            ).iloc[0]
    except Exception:  # staging was not built: dbt's own messages above say why
        counts = None
    if counts is not None and counts["received"] > 0 and counts["accepted"] == 0:
        return (
            f"Raw file '{raw_name}': none of its {counts['received']:,} rows was accepted"
            f" (e.g. {counts['reason']}); nothing was loaded or replaced."
        )
    return "dbt build failed (see the messages above); nothing was published"


def print_summary(target: str | None) -> None:
    """Rows received / accepted / rejected, the KPIs, what changed since the previous load,
    and where everything is."""
    from spf.loads import read_comparison, summary_lines

    with open_warehouse(target, read_only=True) as warehouse:
        counts = warehouse.read_table("marts", "rpt_load_reconciliation").iloc[0]
        kpis = warehouse.read_table("marts", "rpt_kpi_summary").iloc[0]
        reasons = warehouse.query(
            "select rejection_reasons, count(*) as row_count from marts.rpt_rejected_rows"
            " group by rejection_reasons order by row_count desc, rejection_reasons limit 5"
        )
        location = warehouse.location
        try:
            comparison = read_comparison(warehouse)
        except Exception:  # a warehouse published before the load audit existed
            comparison = None
    print("\n== Summary ==")
    print(f"raw file        {counts['source_file']}")
    print(
        f"rows            received {counts['rows_received']:,}"
        f"  accepted {counts['rows_accepted']:,}"
        f"  rejected {counts['rows_rejected']:,}"
        f"  duplicated {counts['rows_duplicated']:,}"
        f"  ({'reconciled' if counts['is_reconciled'] else 'NOT RECONCILED'})"
    )
    for _, row in reasons.iterrows():
        print(f"  rejected {row['row_count']:>5,} x {row['rejection_reasons']}")
    print("KPIs (marts.rpt_kpi_summary)")
    for column, label in KPI_LABELS.items():
        value = kpis[column]
        shown = f"{value:,.0f}" if column == "student_count" else f"{value:.2f}"
        print(f"  {label:<42} {shown:>8}")
    for line in summary_lines(comparison) if comparison is not None else []:
        print(line)
    print(f"warehouse       {location}  (schemas raw, staging, intermediate, marts, ml, history)")
    static_docs = DOCS_DIR / "static_index.html"
    if static_docs.exists():
        print(f"docs            {static_docs}  (or `make docs` to serve them)")
