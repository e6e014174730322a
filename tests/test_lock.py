"""spf.lock: one run at a time per warehouse. Two holders of the DuckDB file lock (threads, and
a process killed with SIGKILL), and of the Postgres advisory lock (two sessions)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from spf.lock import WarehouseBusy, file_lock, lock_timeout, postgres_lock
from spf.profile import ConfigurationError
from tests.conftest import PROJECT_ROOT
from tests.helpers import PG, require_postgres

HOLDER = """
import sys, time
from pathlib import Path
from spf.lock import file_lock
with file_lock(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_second_holder_gives_up_naming_the_first(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SPF_LOCK_TIMEOUT", "0.6")
    path = tmp_path / "warehouse.duckdb.lock"
    with file_lock(path):
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as raised, file_lock(path):
            pytest.fail("the lock was taken twice")
        waited = time.monotonic() - started
    message = str(raised.value)
    assert re.search(rf"warehouse busy: run started at .+ UTC by PID {os.getpid()}", message)
    assert "gave up after waiting 1 s (SPF_LOCK_TIMEOUT)" in message
    assert "Nothing was loaded or replaced" in message
    assert waited >= 0.6
    printed = capsys.readouterr().out
    assert printed.count("warehouse busy: run started at") == 1 and "waiting up to 1 s" in printed
    with file_lock(path):  # released by the first holder: free again at once
        pass


def test_a_waiting_holder_gets_the_lock_when_the_first_lets_go(tmp_path: Path, capsys) -> None:
    path = tmp_path / "warehouse.duckdb.lock"
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with file_lock(path):
            first_holds.set()
            time.sleep(1.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(10)
    with file_lock(path):
        order.append("second holds")
    thread.join()
    assert order == ["first done", "second holds"]
    assert "warehouse busy: run started at" in capsys.readouterr().out


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SPF_LOCK_TIMEOUT", "0.5")
    path = tmp_path / "warehouse.duckdb.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], cwd=PROJECT_ROOT, text=True,
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseBusy, match=f"by PID {holder.pid}"), file_lock(path):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        with file_lock(path):  # the kernel released it with the process
            assert path.exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_timeout_must_be_a_number(monkeypatch) -> None:
    monkeypatch.setenv("SPF_LOCK_TIMEOUT", "ten minutes")
    with pytest.raises(ConfigurationError, match="SPF_LOCK_TIMEOUT='ten minutes'"):
        lock_timeout()
    monkeypatch.delenv("SPF_LOCK_TIMEOUT")
    assert lock_timeout() == 600


@pytest.fixture
def lock_database() -> Iterator[str]:
    """A Postgres database of its own (advisory locks are per database)."""
    require_postgres()
    name = f"spf_wap_lock_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"create database {name}")
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"drop database if exists {name} with (force)")
        admin.close()


def test_postgres_holders_take_turns_and_a_waiter_names_the_holder(
    lock_database: str, monkeypatch
) -> None:
    monkeypatch.setenv("SPF_LOCK_TIMEOUT", "0.6")
    sessions: list[object] = []

    def connect(application_name: str) -> object:
        connection = psycopg2.connect(dbname=lock_database, application_name=application_name, **PG)
        sessions.append(connection)
        return connection

    with postgres_lock(connect, "database under test"):
        with pytest.raises(WarehouseBusy) as raised, postgres_lock(connect, "database under test"):
            pytest.fail("the lock was taken twice")
        assert re.search(
            rf"warehouse busy: run started at .+ UTC by PID {os.getpid()} \(database under test\)",
            str(raised.value),
        )
    assert all(session.closed for session in sessions)  # ending the session releases the lock
    with postgres_lock(connect, "database under test"):
        pass
