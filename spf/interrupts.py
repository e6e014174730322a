"""Ctrl-C (SIGINT) and SIGTERM stop a run, even where a library swallows the interruption.

Python turns a signal into a KeyboardInterrupt wherever the main thread happens to be, and
some code catches it there: dbt's reading of its partial-parse file (target/
partial_parse.msgpack, decoded by mashumaro) swallows one and parses the project again, so a
Ctrl-C in the first second of `dbt build` used to be ignored and the run went on to publish.
The handler therefore also records the signal, and the runner checks the record after every
dbt command and before it publishes (`raise_if_requested`).
"""

from __future__ import annotations

import signal
from types import FrameType

_received: list[int] = []


def _handler(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def install() -> None:
    """SIGINT and SIGTERM both raise KeyboardInterrupt, and are remembered."""
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def raise_if_requested() -> None:
    """Raise KeyboardInterrupt again if a signal arrived, whoever caught the first one."""
    if _received:
        raise KeyboardInterrupt
