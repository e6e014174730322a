"""The main job's command line.

python -m pipeline run [--raw-csv PATH] [--target duckdb|postgres|spark] [--skip-ml] [--skip-docs]
python -m pipeline land [--raw-csv PATH] [--target ...]
python -m pipeline summary [--target ...]

(`python -m spf ...` is the same command line.)
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pipeline.job import land_only, print_summary, run
from spf import interrupts
from spf.errors import exit_code_of
from spf.profile import PROJECT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="the main job")
    run_parser.add_argument(
        "--raw-csv", help="your own export (default: keep the published raw table, or the sample)"
    )
    run_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    run_parser.add_argument("--skip-ml", action="store_true", help="build the warehouse only")
    run_parser.add_argument("--skip-docs", action="store_true", help="do not write the docs")
    run_parser.add_argument(
        "--accept-shift",
        action="store_true",
        help="publish even when a factor's distribution shifted beyond the audit's thresholds",
    )
    summary_parser = commands.add_parser("summary", help="print the summary of the last build")
    summary_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    land_parser = commands.add_parser(
        "land", help="land a raw file in the target directly, for a plain `dbt build` next"
    )
    land_parser.add_argument("--raw-csv", help="your own export (default: the shipped sample)")
    land_parser.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    args = parser.parse_args(argv)

    if getattr(args, "raw_csv", None):  # relative to where the user is, not to the project
        args.raw_csv = str(Path(args.raw_csv).resolve())
    os.chdir(PROJECT_ROOT)

    def command() -> None:
        if args.command == "run":
            run(args.raw_csv, args.target, args.skip_ml, args.skip_docs, args.accept_shift)
        elif args.command == "land":
            land_only(args.raw_csv, args.target)
        else:
            print_summary(args.target)

    # SIGTERM stops a run the way Ctrl-C does: cleanly, leaving the published state as it was
    interrupts.install()
    return exit_code_of(command)
