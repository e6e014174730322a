"""How the project reports a user's mistake (a bad file, a setting, an unreachable warehouse):
a clear message, no traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

import psycopg2

from spf.dbt import DbtCommandFailed
from spf.profile import ConfigurationError


def user_error_message(error: BaseException) -> str | None:
    """The one-line message for an error a user can act on, or None for any other error (a
    defect, shown with its traceback)."""
    if isinstance(error, DbtCommandFailed | ConfigurationError | OSError):
        return str(error)
    if isinstance(error, psycopg2.OperationalError):
        return f"cannot reach the Postgres warehouse: {error}".rstrip()
    return None


def exit_code_of(action: Callable[[], None]) -> int:
    """Run `action`; print a user's mistake as one `error:` line and return the exit code."""
    try:
        action()
    except KeyboardInterrupt as interrupt:
        message = getattr(interrupt, "message", "interrupted")
        print(f"\n{message}", file=sys.stderr)
        return 130
    except Exception as error:
        message = user_error_message(error)
        if message is None:
            raise
        print(f"\nerror: {message}", file=sys.stderr)
        return 1
    return 0
