"""Run dbt commands in this process: dbt's start-up and the project's parse are paid once per
job, not once per command (the parsed manifest is reused while target and vars are the same)."""

from __future__ import annotations

import json
import os

from dbt.cli.main import dbtRunner

from spf.profile import PROJECT_ROOT

_MANIFESTS: dict[tuple[str | None, str | None], object] = {}


class DbtCommandFailed(RuntimeError):
    """A dbt command failed; dbt has already printed why."""


def _common_args(raw_csv: str | None, target: str | None) -> list[str]:
    args = ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    if target:
        args += ["--target", target]
    if raw_csv:
        args += ["--vars", json.dumps({"raw_csv": os.path.abspath(raw_csv)})]
    return args


def _manifest(raw_csv: str | None, target: str | None) -> object:
    key = (raw_csv, target)
    if key not in _MANIFESTS:
        result = dbtRunner().invoke(["parse", "--quiet", *_common_args(raw_csv, target)])
        if not result.success:
            raise DbtCommandFailed("dbt parse failed (see the messages above)")
        _MANIFESTS[key] = result.result
    return _MANIFESTS[key]


def run_dbt(args: list[str], raw_csv: str | None = None, target: str | None = None) -> None:
    """Invoke `dbt <args>` against this project; raise DbtCommandFailed when it fails."""
    runner = dbtRunner(manifest=_manifest(raw_csv, target))
    result = runner.invoke([*args, *_common_args(raw_csv, target)])
    if not result.success:
        raise DbtCommandFailed(f"dbt {args[0]} failed (see the messages above)")
