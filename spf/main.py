"""The main job: land the raw export, build and test the warehouse, train, write the docs.

python -m spf run [--raw-csv PATH] [--target duckdb|postgres] [--skip-ml] [--skip-docs]
python -m spf summary [--target ...]
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spf.dbt import DbtCommandFailed, release_connections, run_dbt
from spf.errors import exit_code_of
from spf.profile import PROJECT_ROOT, target_settings
from spf.publish import BuildArea, build_area, environment
from spf.rawfile import RawFile, inspect_raw_file
from spf.warehouse import open_warehouse

SAMPLE_CSV = "seeds/student_performance_factors.csv"

DOCS_DIR = PROJECT_ROOT / "target"
KPI_LABELS = {
    "student_count": "students",
    "avg_attendance_pct": "average attendance (%)",
    "avg_exam_score": "average exam score",
    "avg_sleep_hours": "average sleep (hours/night)",
    "avg_hours_studied": "average hours studied (/week)",
    "avg_physical_activity_hours": "average physical activity (hours/week)",
    "extracurricular_participation_pct": "extracurricular participation (%)",
}


class Steps:
    """Numbered progress lines with elapsed times, so nothing sits silent."""

    def __init__(self, total: int) -> None:
        self.total, self.number, self.started = total, 0, time.perf_counter()

    def start(self, text: str) -> None:
        self.number += 1
        elapsed = time.perf_counter() - self.started
        print(f"\n==> [{self.number}/{self.total}] {text}  (t+{elapsed:.1f}s)", flush=True)


def print_summary(target: str | None) -> None:
    """Rows received / accepted / rejected, the KPIs, and where everything is."""
    with open_warehouse(target, read_only=True) as warehouse:
        counts = warehouse.read_table("marts", "rpt_load_reconciliation").iloc[0]
        kpis = warehouse.read_table("marts", "rpt_kpi_summary").iloc[0]
        reasons = warehouse.query(
            "select rejection_reasons, count(*) as row_count from marts.rpt_rejected_rows"
            " group by rejection_reasons order by row_count desc, rejection_reasons limit 5"
        )
        location = warehouse.location
    print("\n== Summary ==")
    print(f"raw file        {counts['source_file']}")
    print(
        f"rows            received {counts['rows_received']:,}"
        f"  accepted {counts['rows_accepted']:,}"
        f"  rejected {counts['rows_rejected']:,}"
        f"  ({'reconciled' if counts['is_reconciled'] else 'NOT RECONCILED'})"
    )
    for _, row in reasons.iterrows():
        print(f"  rejected {row['row_count']:>5,} x {row['rejection_reasons']}")
    print("KPIs (marts.rpt_kpi_summary)")
    for column, label in KPI_LABELS.items():
        value = kpis[column]
        shown = f"{value:,.0f}" if column == "student_count" else f"{value:.2f}"
        print(f"  {label:<42} {shown:>8}")
    print(f"warehouse       {location}  (schemas raw, staging, intermediate, marts, ml)")
    static_docs = DOCS_DIR / "static_index.html"
    if static_docs.exists():
        print(f"docs            {static_docs}  (or `make docs` to serve them)")


@contextmanager
def landing_skipped() -> Iterator[None]:
    """dbt commands run inside do not land the raw file again (see land_raw_students)."""
    with environment({"SPF_SKIP_LANDING": "1"}):
        yield


class RunInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped a run; `message` says what readers see now."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def land(raw: RawFile | None, area: BuildArea, target: str | None) -> dict[str, object]:
    """Put the raw table in the build area; the dbt vars that finish the landing.

    With a file: it is landed (on DuckDB and Spark by dbt's on-run-start hook, with a UTF-8
    copy when it is Latin-1 or UTF-16; on Postgres here, with COPY). Without one: the
    published raw table is kept, or, when there is none yet, the shipped sample is landed."""
    settings = area.settings
    if raw is None and area.keep_raw():
        print("raw table kept as published (no raw file given)")
        return {}
    if raw is None:
        raw = inspect_raw_file(PROJECT_ROOT / SAMPLE_CSV)
    if raw.needs_conversion:
        print(f"note: '{raw.path}' is {raw.encoding} text; landing a UTF-8 copy of it")
    if settings["type"] == "postgres":
        from spf.landing import land_postgres

        with open_warehouse(target) as warehouse:
            started = time.perf_counter()
            rows = land_postgres(warehouse.connect(), raw, schema=warehouse.schema("raw"))
        print(
            f"landed {rows:,} rows of {raw.path} with COPY in {time.perf_counter() - started:.1f}s"
        )
        return {}
    path = raw.utf8_copy(area.scratch) if raw.needs_conversion else raw.path
    return {"raw_csv": str(path), "raw_source_file": str(raw.path), "raw_source_sha256": raw.sha256}


def explain_failed_build(target: str | None, raw_name: str) -> str:
    """Why the build failed, in the user's terms when the file is the reason."""
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


def run(raw_csv: str | None, target: str | None, skip_ml: bool, skip_docs: bool) -> None:
    settings = target_settings(target)
    raw = inspect_raw_file(Path(raw_csv)) if raw_csv else None  # refused before anything changes
    area = build_area(settings)
    steps = Steps(total=4 + (0 if skip_ml else 2) + (0 if skip_docs else 1))
    source = raw_csv or "no file given: the published raw table (or the shipped sample)"
    prepare_target(settings)
    with area.lock():
        area.reset()
        try:
            with environment(area.environ()):
                steps.start(f"Landing {source} in the build area (engine: {settings['type']})")
                variables = land(raw, area, target)
                steps.start("Building and testing the warehouse aside: dbt build")
                try:
                    run_dbt(["build", "--exclude", "tag:ml_outputs"], target, variables)
                except DbtCommandFailed:
                    raise DbtCommandFailed(
                        explain_failed_build(target, raw_csv or SAMPLE_CSV)
                    ) from None
                training = None
                with landing_skipped():  # the raw file is landed once per job
                    if not skip_ml:
                        from ml.train import train

                        steps.start("Training and evaluating the exam-score models (ml train)")
                        training = train(target=target)
                        steps.start("Building the predictions: dbt build --select tag:ml_outputs")
                        run_dbt(["build", "--select", "tag:ml_outputs"], target, variables)
                    if not skip_docs and not area.docs_after_publish:
                        steps.start("Writing the docs site: dbt docs generate --static")
                        run_dbt(["docs", "generate", "--static"], target, variables)
                release_connections()
                steps.start("Publishing the tested warehouse")
                area.publish()
        except KeyboardInterrupt:
            release_connections()
            area.reset()
            raise RunInterrupted(
                "interrupted: nothing was published; the warehouse, its predictions and the"
                " champion are as they were before this run"
            ) from None
        except BaseException:
            release_connections()
            area.reset()
            raise
        promote(training)
        if not skip_docs and area.docs_after_publish:
            steps.start("Writing the docs site: dbt docs generate --static")
            with landing_skipped():
                run_dbt(["docs", "generate", "--static"], target)
    print(f"published: {area.guarantee}")
    steps.start("Summary")
    print_summary(target)


def promote(training: object | None) -> None:
    """Move the `champion` alias to the run's model, now that its warehouse is published."""
    if training is None or training.model_version is None:
        return
    from ml import tracking

    tracking.promote(training.model_version)
    print(
        f"champion: '{tracking.REGISTERED_MODEL}@{tracking.CHAMPION_ALIAS}' is now version"
        f" {training.model_version}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spf", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="the main job")
    run_parser.add_argument("--raw-csv", help="your own export (default: the shipped sample)")
    run_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    run_parser.add_argument("--skip-ml", action="store_true", help="build the warehouse only")
    run_parser.add_argument("--skip-docs", action="store_true", help="do not write the docs")
    summary_parser = commands.add_parser("summary", help="print the summary of the last build")
    summary_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    land_parser = commands.add_parser("land", help="land the raw file only (Postgres: COPY)")
    land_parser.add_argument("--raw-csv", help="your own export (default: the shipped sample)")
    land_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    args = parser.parse_args(argv)

    if getattr(args, "raw_csv", None):  # relative to where the user is, not to the project
        args.raw_csv = str(Path(args.raw_csv).resolve())
    os.chdir(PROJECT_ROOT)

    def command() -> None:
        if args.command == "run":
            run(args.raw_csv, args.target, args.skip_ml, args.skip_docs)
        elif args.command == "land":
            land_only(args.raw_csv, args.target)
        else:
            print_summary(args.target)

    signal.signal(signal.SIGTERM, _interrupt)
    return exit_code_of(command)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a run the way Ctrl-C does: cleanly, leaving the published state as it was."""
    raise KeyboardInterrupt


def prepare_target(settings: dict) -> None:
    """What a Postgres target needs before a run: its database and the `bi_reader` role."""
    if settings["type"] != "postgres":
        return
    from spf.postgres import ensure_bi_reader, ensure_database

    if ensure_database(settings):
        print(f"created database {settings['dbname']}")
    with open_warehouse(settings["target_name"]) as warehouse:
        ensure_bi_reader(warehouse.connect())


def land_only(raw_csv: str | None, target: str | None) -> None:
    """`python -m spf land`: land a file in the target's raw table directly, for plain dbt
    use (`dbt build` next). `python -m spf run` lands in its build area instead."""
    settings = target_settings(target)
    prepare_target(settings)
    raw = inspect_raw_file(Path(raw_csv) if raw_csv else PROJECT_ROOT / SAMPLE_CSV)
    area = build_area(settings)
    with area.lock():
        area.reset()
        variables = land(raw, area, target)
        if variables:  # DuckDB and Spark: the landing macro, run on its own
            run_dbt(["run-operation", "land_raw_students"], target, variables)
            release_connections()
