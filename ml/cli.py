"""python -m ml train | predict: the ML step's command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from spf.errors import exit_code_of


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ml", description="Train the exam-score models, or score new students."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser(
        "train", help="train, compare and track the models on the warehouse's features mart"
    )
    train.add_argument("--target", help="dbt target (default: SPF_TARGET or duckdb)")
    predict = commands.add_parser(
        "predict", help="score a CSV of students (the export's columns, Exam_Score optional)"
    )
    predict.add_argument("--input", required=True, type=Path, help="CSV of students to score")
    predict.add_argument("--output", required=True, type=Path, help="CSV to write")
    predict.add_argument(
        "--model-version", help="a registered version (default: the alias 'champion')"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def command() -> None:
        if args.command == "train":
            from ml.train import train

            train(target=args.target)
        else:
            from ml.predict import predict

            result = predict(args.input, args.output, version=args.model_version)
            print(
                f"scored {result.scored:,} students and rejected {result.rejected:,}"
                f" row{'' if result.rejected == 1 else 's'} (see rejection_reasons), with"
                f" model version {result.version}"
                f" (run {result.run_id}) -> {result.output}"
            )

    return exit_code_of(command)
