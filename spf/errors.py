"""How the project's command lines report a user's mistake: a clear message, no traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

import psycopg2

from spf.dbt import DbtCommandFailed
from spf.profile import ConfigurationError


def exit_code_of(action: Callable[[], None]) -> int:
    """Run `action`; print known errors as one `error:` line and return the exit code."""
    try:
        action()
    except (DbtCommandFailed, ConfigurationError, OSError) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 1
    except psycopg2.OperationalError as error:
        print(f"\nerror: cannot reach the Postgres warehouse: {error}".rstrip(), file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        message = getattr(interrupt, "message", "interrupted")
        print(f"\n{message}", file=sys.stderr)
        return 130
    return 0
