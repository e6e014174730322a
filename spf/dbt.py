"""Run dbt commands in this process (dbt's start-up is paid once, not per command)."""

from __future__ import annotations

import json
import os

from dbt.cli.main import dbtRunner

from spf.profile import PROJECT_ROOT

_RUNNER: dbtRunner | None = None


class DbtCommandFailed(RuntimeError):
    """A dbt command failed; dbt has already printed why."""


def run_dbt(args: list[str], raw_csv: str | None = None, target: str | None = None) -> None:
    """Invoke `dbt <args>` against this project; raise DbtCommandFailed when it fails."""
    global _RUNNER
    _RUNNER = _RUNNER or dbtRunner()
    full = [*args, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    if target:
        full += ["--target", target]
    if raw_csv:
        full += ["--vars", json.dumps({"raw_csv": os.path.abspath(raw_csv)})]
    result = _RUNNER.invoke(full)
    if not result.success:
        raise DbtCommandFailed(f"dbt {args[0]} failed (see the messages above)")
