"""The main job: land the raw export, build and test the warehouse, train, write the docs.

python -m spf run [--raw-csv PATH] [--target duckdb|postgres] [--skip-ml] [--skip-docs]
python -m spf summary [--target ...]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spf.dbt import run_dbt
from spf.errors import exit_code_of
from spf.profile import PROJECT_ROOT, ConfigurationError, target_settings
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
    with open_warehouse(target) as warehouse:
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
    os.environ["SPF_SKIP_LANDING"] = "1"
    try:
        yield
    finally:
        os.environ.pop("SPF_SKIP_LANDING", None)


def land(raw_csv: str | None, target: str | None) -> None:
    """Prepare the target and land the raw file where the engine cannot read it itself."""
    settings = target_settings(target)
    if settings["type"] != "postgres":
        return  # DuckDB and Spark read the file in dbt's on-run-start hook
    from spf.landing import land_postgres
    from spf.postgres import ensure_bi_reader, ensure_database

    if ensure_database(settings):
        print(f"created database {settings['dbname']}")
    path = Path(raw_csv or SAMPLE_CSV).resolve()
    with open_warehouse(target) as warehouse:
        started = time.perf_counter()
        rows = land_postgres(warehouse.connect(), path)
        print(f"landed {rows:,} rows of {path} with COPY in {time.perf_counter() - started:.1f}s")
        ensure_bi_reader(warehouse.connect())


def run(raw_csv: str | None, target: str | None, skip_ml: bool, skip_docs: bool) -> None:
    steps = Steps(total=3 + (0 if skip_ml else 2) + (0 if skip_docs else 1))
    source = raw_csv or f"the shipped sample ({SAMPLE_CSV})"
    steps.start(f"Landing {source} (engine: {target_settings(target)['type']})")
    land(raw_csv, target)
    steps.start("Building the warehouse: dbt build (models and tests)")
    run_dbt(["build", "--exclude", "tag:ml_outputs"], raw_csv=raw_csv, target=target)
    if not skip_ml:
        from ml.train import train

        steps.start("Training and evaluating the exam-score models (ml train)")
        train(target=target)
        steps.start("Publishing the predictions: dbt build --select tag:ml_outputs")
        with landing_skipped():  # the raw file is landed once per job
            run_dbt(["build", "--select", "tag:ml_outputs"], raw_csv=raw_csv, target=target)
    if not skip_docs:
        steps.start("Writing the docs site: dbt docs generate --static")
        run_dbt(["docs", "generate", "--static"], raw_csv=raw_csv, target=target)
    steps.start("Summary")
    print_summary(target)


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
            if args.raw_csv and not Path(args.raw_csv).is_file():
                raise ConfigurationError(f"Raw file '{args.raw_csv}' was not found")
            run(args.raw_csv, args.target, args.skip_ml, args.skip_docs)
        elif args.command == "land":
            land(args.raw_csv, args.target)
        else:
            print_summary(args.target)

    return exit_code_of(command)
