"""python -m ml train | predict | champion: the ML step's command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from spf import interrupts
from spf.errors import exit_code_of

TARGET_HELP = "dbt target (default: SPF_TARGET or duckdb)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml", description="Train the exam-score models, or score new students."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", help="train, compare and track the models on the warehouse's features mart"
    )
    train.add_argument("--target", help=TARGET_HELP)
    predict = commands.add_parser(
        "predict", help="score a CSV of students (the export's columns, Exam_Score optional)"
    )
    predict.add_argument("--input", required=True, type=Path, help="CSV of students to score")
    predict.add_argument(
        "--output", required=True, type=Path, help="CSV to write (never the input)"
    )
    predict.add_argument(
        "--model-version", help="a registered version (default: the warehouse's champion)"
    )
    predict.add_argument("--target", help=TARGET_HELP)
    champion = commands.add_parser(
        "champion", help="the warehouse's champion: its alias, model URI, version, fingerprint"
    )
    champion.add_argument("--target", help=TARGET_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def command() -> None:
        if args.command == "train":
            train_in_place(args.target)
        elif args.command == "champion":
            print_champion(args.target)
        else:
            from ml.predict import predict

            result = predict(
                args.input, args.output, version=args.model_version, target=args.target
            )
            print(
                f"scored {result.scored:,} students and rejected {result.rejected:,}"
                f" row{'' if result.rejected == 1 else 's'} (see rejection_reasons), with"
                f" model version {result.version}"
                f" (run {result.run_id}) -> {result.output}"
            )

    # SIGTERM stops a command as Ctrl-C does: an unfinished output is removed, never left
    interrupts.install()
    return exit_code_of(command)


def train_in_place(target: str | None) -> None:
    """`python -m ml train` writes the target's published warehouse in place, so the champion
    it records there is published at once: the warehouse's alias moves with it."""
    from ml import tracking
    from ml.train import train
    from spf.profile import target_settings
    from spf.warehouse import warehouse_identity

    result = train(target=target)
    if result.model_version is not None:
        alias = tracking.promote(result.model_version, warehouse_identity(target_settings(target)))
        print(f"champion: '{tracking.model_uri(alias)}' is now version {result.model_version}")


def print_champion(target: str | None) -> None:
    """The active warehouse's champion, for people and for `mlflow models serve -m <URI>`:
    its files are checked against their fingerprint first."""
    from ml import tracking

    found = tracking.warehouse_champion(target)
    record = found.record
    files = tracking.verify_files(record)
    aliased = tracking.alias_version(found.alias)
    print(f"warehouse    {found.identity}")
    print(f"alias        {found.alias}")
    print(f"model URI    {tracking.model_uri(found.alias)}")
    print(f"version      {record.model_version} (run {record.run_id}, trained {record.trained_at})")
    print(f"fingerprint  sha256:{record.fingerprint_sha256} (files checked)")
    print(f"files        {', '.join(files)}")
    print("serve        python -m ml serve [--port 5300] (make serve)")
    if aliased != record.model_version:
        points = f"points at version {aliased}" if aliased else "is not set"
        print(
            f"note: the alias {points}, not at the warehouse's version {record.model_version}"
            " (a run stopped between publishing and moving it); the next run that publishes"
            f" this warehouse moves it. Meanwhile serve models:/{record.registered_model}/"
            f"{record.model_version}"
        )
