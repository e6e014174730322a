"""One run at a time per warehouse, across processes.

A DuckDB (or local Spark) warehouse is locked with an exclusive `flock` on a file beside it; a
Postgres database with a session advisory lock. Both are released by the operating system or
the server when the holder exits, even on SIGKILL, so a killed run leaves no stale lock. A
second run waits, saying who holds the lock, up to SPF_LOCK_TIMEOUT seconds (default 600),
then stops with that message and a non-zero exit; its file is never silently discarded.

A Postgres lock lives as long as its session, and an administrator (or a network failure) can
end the session while the run goes on. So the holder proves it still holds the lock: a
watchdog asks every WATCH_SECONDS and stops the run when the answer is no (LockLost), and every
statement of the build area's own (dropping stale shadow schemas, the publishing swap) runs in
a transaction on the lock's own session that first checks the lock is held: if the session
has ended, nothing of it commits.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spf.profile import ConfigurationError

DEFAULT_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 0.5
WATCH_SECONDS = 1.0  # how often a Postgres holder checks that it still holds its lock
# pg_advisory_lock(classid, objid): the project's own pair of keys
PG_LOCK_KEYS = (0x5350, 0x4652)  # "SP", "FR"
_APPLICATION_NAME = re.compile(r"spf run pid=(?P<pid>\d+) started=(?P<started>.+)")


class WarehouseBusy(ConfigurationError):
    """Another run holds the warehouse for longer than we were allowed to wait."""


class LockLost(ConfigurationError):
    """The run's lock session ended while it ran: another run may hold the warehouse now."""


def lock_timeout() -> float:
    value = os.environ.get("SPF_LOCK_TIMEOUT", str(DEFAULT_TIMEOUT_SECONDS))
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"SPF_LOCK_TIMEOUT={value!r} is not a number of seconds") from None


def holder_text(holder: dict[str, Any] | None) -> str:
    if not holder:
        return "warehouse busy: another run holds it"
    return f"warehouse busy: run started at {holder['started_at']} by PID {holder['pid']}"


def _wait(try_lock: Callable[[], bool], holder: Callable[[], dict | None], where: str) -> None:
    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    announced, attempts = False, 0
    while not try_lock():
        attempts += 1
        if time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"{holder_text(holder())} ({where}); gave up after waiting {timeout:.0f} s"
                " (SPF_LOCK_TIMEOUT). Nothing was loaded or replaced; run again when it ends."
            )
        # a holder that has just taken the lock may not have said who it is yet: ask again once
        known = holder()
        if not announced and (known or attempts > 1):
            print(f"{holder_text(known)} ({where}); waiting up to {timeout:.0f} s", flush=True)
            announced = True
        time.sleep(POLL_SECONDS)


def _this_run() -> dict[str, Any]:
    return {"pid": os.getpid(), "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:

        def try_lock() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        def holder() -> dict | None:
            try:
                return json.loads(path.read_text() or "null")
            except (OSError, ValueError):
                return None

        _wait(try_lock, holder, str(path))
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(_this_run()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


class HeldLock:
    """The Postgres advisory lock a run holds, on its own session (`connection`)."""

    def __init__(self, connection: Any, where: str) -> None:
        self.connection, self.where = connection, where
        self.lost: LockLost | None = None  # set when the watchdog found the lock gone
        self._mutex = threading.Lock()  # one user of the session at a time
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _verify(self, cursor: Any) -> None:
        cursor.execute(
            "select count(*) from pg_locks where pid = pg_backend_pid()"
            " and locktype = 'advisory' and granted and classid = %s and objid = %s",
            PG_LOCK_KEYS,
        )
        if not cursor.fetchone()[0]:
            raise self._lose("its session no longer holds the lock")

    def _lose(self, why: object) -> LockLost:
        reason = str(why).strip().splitlines()[0] if str(why).strip() else type(why).__name__
        self.lost = self.lost or LockLost(
            f"this run lost the warehouse lock ({self.where}: {reason}), so another run may"
            " be building there now; it stopped and published nothing. The published"
            " warehouse, its predictions and the champion are as they were before this run."
        )
        return self.lost

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A transaction on the lock's session that first proves the lock is still held; it
        commits only if the session (and with it the lock) lasts to the end."""
        import psycopg2

        with self._mutex:
            if self.lost:
                raise self.lost
            try:
                with self.connection:  # commits at the end, rolls back on an error
                    with self.connection.cursor() as cursor:
                        self._verify(cursor)
                        yield cursor
            except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
                raise self._lose(error) from None

    def watch(self) -> None:
        """Check the lock every WATCH_SECONDS; when it is gone, interrupt the main thread (the
        run stops as on Ctrl-C, and reports LockLost)."""

        def check() -> None:
            while not self._stop.wait(WATCH_SECONDS):
                try:
                    with self.transaction():
                        pass
                except LockLost:
                    if not self._stop.is_set():  # a real signal: it wakes a blocked wait too
                        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                    return

        self._watchdog = threading.Thread(target=check, name="spf-lock-watchdog", daemon=True)
        self._watchdog.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join()


@contextmanager
def postgres_lock(connect: Callable[[str], Any], where: str) -> Iterator[HeldLock]:
    """Hold the database's advisory lock on a connection of its own while the block runs;
    yields the HeldLock, watched (see HeldLock.watch).

    `connect(application_name)` opens that connection; its application name tells a waiting
    run who holds the lock (pg_stat_activity)."""
    me = _this_run()
    connection = connect(f"spf run pid={me['pid']} started={me['started_at']}")
    connection.autocommit = True
    held = HeldLock(connection, where)
    try:
        cursor = connection.cursor()

        def try_lock() -> bool:
            cursor.execute("select pg_try_advisory_lock(%s, %s)", PG_LOCK_KEYS)
            return bool(cursor.fetchone()[0])

        def holder() -> dict | None:
            cursor.execute(
                "select activity.application_name from pg_locks as locks"
                " inner join pg_stat_activity as activity on locks.pid = activity.pid"
                " where locks.locktype = 'advisory' and locks.granted"
                " and locks.database = (select oid from pg_database"
                " where datname = current_database())"
                " and locks.classid = %s and locks.objid = %s",
                PG_LOCK_KEYS,
            )
            row = cursor.fetchone()
            found = _APPLICATION_NAME.match(row[0] or "") if row else None
            return {"pid": found["pid"], "started_at": found["started"]} if found else None

        _wait(try_lock, holder, where)
        connection.autocommit = False  # from here on: HeldLock.transaction only
        held.watch()
        try:
            yield held
        finally:
            held.stop_watching()
    finally:
        connection.close()  # ends the session, which releases the lock
