"""python -m ml train | predict | champion | serve: the ML step's command line."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from spf import interrupts
from spf.errors import exit_code_of

TARGET_HELP = "dbt target (default: SPF_TARGET or duckdb)"
SERVE_HOST = "127.0.0.1"  # loopback only: put a proxy with TLS and authentication in front
SERVE_PORT = 5300


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
    serve = commands.add_parser(
        "serve", help="serve the warehouse's champion over HTTP with `mlflow models serve`"
    )
    serve.add_argument(
        "--port", type=int, default=SERVE_PORT, help=f"port on {SERVE_HOST} (default {SERVE_PORT})"
    )
    serve.add_argument("--target", help=TARGET_HELP)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    def command() -> None:
        if args.command == "train":
            train_in_place(args.target)
        elif args.command == "champion":
            print_champion(args.target)
        elif args.command == "serve":
            serve_champion(args.target, args.port)
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
    print(f"serve        python -m ml serve [--port {SERVE_PORT}] (make serve)")
    if aliased != record.model_version:
        points = f"points at version {aliased}" if aliased else "is not set"
        print(
            f"note: the alias {points}, not at the warehouse's version {record.model_version}"
            " (a run stopped between publishing and moving it); the next run that publishes"
            f" this warehouse moves it. Meanwhile serve models:/{record.registered_model}/"
            f"{record.model_version}"
        )


def serve_champion(target: str | None, port: int) -> None:
    """Serve the active warehouse's champion on SERVE_HOST:`port`: its alias's URI (the
    version's own while the alias lags, see print_champion), once its files are checked, with
    `mlflow models serve --env-manager local` from this environment (its bin/ first on PATH,
    or MLflow cannot find uvicorn) and telemetry off. This process becomes that command, so
    Ctrl-C or SIGTERM stops the server. The served model checks again, when it loads, that its
    files have the fingerprint checked here (ml.tracking.SERVED_FINGERPRINT)."""
    from ml import tracking
    from spf.profile import ConfigurationError

    if not 1 <= port <= 65535:
        raise ConfigurationError(f"Port {port} is not a port number (1 to 65535)")
    found = tracking.warehouse_champion(target)
    record = found.record
    tracking.verify_files(record)
    if tracking.alias_version(found.alias) == record.model_version:
        uri = tracking.model_uri(found.alias)
    else:
        uri = f"models:/{record.registered_model}/{record.model_version}"
    _require_free_port(port)
    bin_dir = Path(sys.prefix) / "bin"
    mlflow = bin_dir / "mlflow"
    if not mlflow.is_file():
        raise ConfigurationError(
            f"MLflow's command is not at {mlflow}: install the project (`make install`)"
        )
    uri_of_store = tracking.tracking_uri()
    environment = {
        **os.environ,
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "MLFLOW_TRACKING_URI": uri_of_store,
        "MLFLOW_REGISTRY_URI": uri_of_store,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        tracking.SERVED_FINGERPRINT: record.fingerprint_sha256,
    }
    command = [
        str(mlflow), "models", "serve", "-m", uri, "--env-manager", "local",
        "-h", SERVE_HOST, "-p", str(port),
    ]  # fmt: skip
    print(
        f"serving {uri} (version {record.model_version}, files checked) for the warehouse"
        f" {found.identity} on http://{SERVE_HOST}:{port}: POST /invocations, GET /ping;"
        " Ctrl-C stops it",
        flush=True,
    )
    os.execve(command[0], command, environment)


def _require_free_port(port: int) -> None:
    """Refuse (one line) a port something already listens on, before MLflow loads the model."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((SERVE_HOST, port))
        except OSError as error:
            from spf.profile import ConfigurationError

            raise ConfigurationError(
                f"Port {port} on {SERVE_HOST} is not free ({error.strerror}): pass another one"
                " (`python -m ml serve --port N`, `make serve SERVE_PORT=N`)"
            ) from None
