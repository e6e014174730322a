"""Run dbt commands in this process: dbt's start-up and the project's parse are paid once per
job, not once per command (the parsed manifest is reused while target, vars and the build
area's schema suffix are the same)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dbt.cli.main import dbtRunner

from spf.interrupts import raise_if_requested
from spf.profile import PROJECT_ROOT

_MANIFESTS: dict[tuple[str | None, str, str], object] = {}
_HIDDEN_EVENTS: set[str] = set()  # dbt events the console leaves out for now (dbt.log keeps them)

# Vars read only while a command runs (the landing hook, under `execute`), never while the
# project is parsed. The parse leaves them out: dbt re-parses the whole project when any
# --vars change, so with them a new raw file would cost a full parse (seconds) on every run;
# without them dbt's partial parsing reuses the last run's parse. Commands still get them all.
RUN_ONLY_VARS = frozenset({"raw_csv", "raw_format", "raw_source_sha256"})


class DbtCommandFailed(RuntimeError):
    """A dbt command failed; dbt has already printed why."""


def _common_args(target: str | None, variables: dict[str, Any] | None) -> list[str]:
    args = ["--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    if target:
        args += ["--target", target]
    if variables:
        args += ["--vars", json.dumps(variables, sort_keys=True)]
    return args


def _manifest(target: str | None, variables: dict[str, Any] | None) -> object:
    variables = {k: v for k, v in (variables or {}).items() if k not in RUN_ONLY_VARS}
    key = (
        target,
        json.dumps(variables or {}, sort_keys=True),
        os.environ.get("SPF_SCHEMA_SUFFIX", ""),
    )
    if key not in _MANIFESTS:
        result = dbtRunner(callbacks=[_hide_interrupt_reports]).invoke(
            ["parse", "--quiet", *_common_args(target, variables)]
        )
        _raise_interrupt(result)
        if not result.success:
            raise DbtCommandFailed("dbt parse failed (see the messages above)")
        _MANIFESTS[key] = result.result
    return _MANIFESTS[key]


def project_manifest() -> Any:
    """This project's parsed manifest: the last one this process parsed (what a model declares
    does not depend on the target or the vars), else a parse now."""
    if _MANIFESTS:
        return list(_MANIFESTS.values())[-1]
    return _manifest(None, None)


def model_meta(name: str) -> dict[str, Any]:
    """The `meta` a model of this project declares, as dbt parsed it."""
    from spf.definitions import project_name

    return dict(project_manifest().nodes[f"model.{project_name()}.{name}"].config.meta)


def _is_interrupt_report(message: Any) -> bool:
    """dbt's report of a Ctrl-C (or our SIGTERM): 'Encountered an error:' with no text, then
    the stack trace of the KeyboardInterrupt. The runner says it in one line instead."""
    name = message.info.name
    if name == "MainEncounteredError":
        return not message.data.exc.strip()
    if name == "MainStackTrace":
        return message.data.stack_trace.rstrip().endswith("KeyboardInterrupt")
    return False


def _hide_interrupt_reports(message: Any) -> None:
    """A dbt callback (called for every event): from the first event of an invocation on, the
    console logger leaves out dbt's report of an interruption (dbt.log keeps it)."""
    from dbt_common.events.event_manager_client import get_event_manager

    for logger in get_event_manager().loggers:
        if logger.name != "stdout_log" or getattr(logger, "spf_hides_interrupts", False):
            continue
        shown = logger.filter
        logger.filter = lambda event, shown=shown: (
            shown(event)
            and not _is_interrupt_report(event)
            and event.info.name not in _HIDDEN_EVENTS
        )
        logger.spf_hides_interrupts = True


def _raise_interrupt(result: Any) -> None:
    """dbt returns a Ctrl-C (or our SIGTERM) as a failed result, or swallowed it: raise it."""
    if isinstance(result.exception, KeyboardInterrupt):
        raise result.exception
    raise_if_requested()


def run_dbt(
    args: list[str],
    target: str | None = None,
    variables: dict[str, Any] | None = None,
    callbacks: list[Callable[[Any], None]] | None = None,
) -> None:
    """Invoke `dbt <args>` against this project; raise DbtCommandFailed when it fails.
    `callbacks` are called with each of dbt's events (e.g. to collect the nodes' results)."""
    runner = dbtRunner(
        manifest=_manifest(target, variables),
        callbacks=[_hide_interrupt_reports, *(callbacks or [])],
    )
    result = runner.invoke([*args, *_common_args(target, variables)])
    _raise_interrupt(result)
    if not result.success:
        raise DbtCommandFailed(f"dbt {args[0]} failed (see the messages above)")


def compile_models(
    selection: list[str],
    target: str,
    variables: dict[str, Any],
    target_path: Path,
    environment: dict[str, str],
) -> list[Any]:
    """`dbt compile` of the selected models into `target_path` (its own manifest and partial
    parse, so the job's are untouched), with `environment` set while it runs; the compiled
    nodes, in dependency order."""
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    _HIDDEN_EVENTS.add("CompiledNode")  # `dbt compile` prints every node's SQL
    try:
        result = dbtRunner(callbacks=[_hide_interrupt_reports]).invoke(
            [
                "compile", "--quiet", "--select", *selection,
                "--target-path", str(target_path), *_common_args(target, variables),
            ]
        )  # fmt: skip
    finally:
        _HIDDEN_EVENTS.discard("CompiledNode")
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    _raise_interrupt(result)
    if not result.success:
        raise DbtCommandFailed("dbt compile failed (see the messages above)")
    return [
        outcome.node for outcome in result.result.results if outcome.node.resource_type == "model"
    ]


def release_connections() -> None:
    """Close the DuckDB database dbt-duckdb keeps open between commands of one process, so the
    file can be checkpointed and published (and this process then sees the published one)."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
