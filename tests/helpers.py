"""Helpers of the tests: a warehouse published by the main job on DuckDB or Postgres
(`Target`), runs of the job (waited for, or watched line by line and signalled), a reader
polling the marts, snapshots of everything a reader or the champion alias shows, and the ML
step's command line and latest metrics."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import pytest

from tests.conftest import PROJECT_ROOT, Build, project_env, sample_rows, write_rows

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
LAYERS = ("raw", "staging", "intermediate", "marts", "ml", "history")
REGISTERED_MODEL = "student_performance_exam_score"
BUSY = "warehouse busy: run started at"
# both counts in one statement, so that one reading is of one state
PAIR_SQL = (
    "select (select count(*) from marts.dim_students) as students,"
    " (select student_count from marts.rpt_kpi_summary) as kpi_students"
)
RAW_SQL = (
    "select count(*) as n, max(source_file) as source_file, max(loaded_at) as loaded_at"
    " from raw.student_performance_factors"
)


def require_postgres() -> None:
    """Skip (or fail, under SPF_REQUIRE_ALL_ENGINES=1) when the Postgres server is not there."""
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=5, **PG).close()
    except psycopg2.OperationalError as error:
        reason = f"Postgres is not reachable on 127.0.0.1:5432: {error}"
        if os.environ.get("SPF_REQUIRE_ALL_ENGINES") == "1":
            pytest.fail(f"{reason} (SPF_REQUIRE_ALL_ENGINES=1: every engine must run)")
        pytest.skip(reason)


def sample_slice(path: Path, first: int, last: int) -> Path:
    """The sample's header and its students `first` to `last` (1-based, inclusive)."""
    rows = sample_rows()
    return write_rows(path, [rows[0], *rows[first : last + 1]])


def shifted_sample(path: Path) -> Path:
    """The shipped sample with Parental_Involvement "Medium" recoded "High" and Hours_Studied
    doubled: values every check accepts, distributions far from the sample's."""
    header, *rows = sample_rows()
    involvement, hours = header.index("Parental_Involvement"), header.index("Hours_Studied")
    changed = []
    for row in rows:
        row = list(row)
        if row[involvement] == "Medium":
            row[involvement] = "High"
        try:
            row[hours] = f"{float(row[hours]) * 2:g}"
        except ValueError:  # a row the sample makes invalid on purpose stays as it is
            pass
        changed.append(row)
    return write_rows(path, [header, *changed])


def wait_until(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@dataclass
class Finished:
    """A run that ended: its exit code and everything it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Running:
    """A run of the main job in its own process group (a terminal's Ctrl-C reaches the whole
    group), its output read line by line as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=env, text=True, start_new_session=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._changed = threading.Condition()
        streams = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        self._readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in streams
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self, stream, lines: list[str]) -> None:
        for text in stream:
            with self._changed:
                lines.append(text)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, pattern: str, seconds: float = 600) -> str:
        """The first line of stdout matching `pattern`, waiting for it; fails if the run ends
        (or `seconds` pass) without one."""
        found = re.compile(pattern)
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                for text in self.stdout:
                    if found.search(text):
                        return text
                if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise AssertionError(f"run ended before {pattern!r}:\n{self.text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {pattern!r} in {seconds} s:\n{self.text()[-3000:]}")
                self._changed.wait(0.5)

    def text(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def send(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def finish(self, seconds: float = 900) -> Finished:
        self.process.wait(timeout=seconds)
        for reader in self._readers:
            reader.join(timeout=30)
        return Finished(self.process.returncode, "".join(self.stdout), "".join(self.stderr))


class Target:
    """One warehouse, a DuckDB file or a Postgres database of its own, with its MLflow store,
    in `directory`. Runs of the main job against it, and what its readers see."""

    def __init__(self, engine: str, directory: Path, store: Path | None = None) -> None:
        self.engine = engine
        self.directory = directory
        self.store = store or directory  # the MLflow store's folder (several may share one)
        self.database = f"spf_wap_{uuid.uuid4().hex[:10]}" if engine == "postgres" else None

    @property
    def duckdb_path(self) -> Path:
        return self.directory / "warehouse.duckdb"

    @property
    def mlflow_uri(self) -> str:
        return f"sqlite:///{self.store / 'mlflow.db'}"

    def env(self, **extra: str) -> dict[str, str]:
        env = project_env(self.duckdb_path, self.store)
        env.update(SPF_TARGET=self.engine, PYTHONUNBUFFERED="1")
        if self.database:
            env.update(SPF_PG_DATABASE=self.database, SPF_PG_HOST=PG["host"])
            env.update(SPF_PG_USER=PG["user"])
        env.update(extra)
        return env

    def command(self, raw_csv: Path | None, *options: str) -> list[str]:
        args = [sys.executable, "-m", "pipeline", "run", "--skip-docs", *options]
        return args + (["--raw-csv", str(raw_csv)] if raw_csv is not None else [])

    def run(self, raw_csv: Path | None = None, *options: str, **env: str) -> Finished:
        result = subprocess.run(
            self.command(raw_csv, *options), cwd=PROJECT_ROOT, env=self.env(**env),
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        return Finished(result.returncode, result.stdout, result.stderr)

    def start(self, raw_csv: Path | None = None, *options: str, **env: str) -> Running:
        return Running(self.command(raw_csv, *options), self.env(**env))

    # -- what readers see ------------------------------------------------------------------

    @contextmanager
    def connection(self, user: str = "postgres") -> Iterator[object]:
        """A connection to the published warehouse (DuckDB: read-only, opened for the block)."""
        if self.engine == "duckdb":
            connection = duckdb.connect(str(self.duckdb_path), read_only=True)
        else:
            connection = psycopg2.connect(dbname=self.database, **{**PG, "user": user})
            connection.autocommit = True
        try:
            yield connection
        finally:
            connection.close()

    def query(self, sql: str) -> pd.DataFrame:
        with self.connection() as connection:
            return _frame(connection, sql)

    def tables(self) -> list[str]:
        listed = ", ".join(f"'{layer}'" for layer in LAYERS)
        catalog = "duckdb_tables()" if self.engine == "duckdb" else "information_schema.tables"
        schema = "schema_name" if self.engine == "duckdb" else "table_schema"
        name = "table_name"
        frame = self.query(
            f"select {schema} || '.' || {name} as relation from {catalog}"
            f" where {schema} in ({listed}) order by 1"
        )
        return frame["relation"].tolist()

    def snapshot(self) -> dict[str, object]:
        """Everything published: every table's rows (as text, sorted), the DuckDB file's bytes
        (SHA-256), and the version the warehouse's champion alias points at."""
        state: dict[str, object] = {}
        with self.connection() as connection:
            for relation in self.tables():
                frame = _frame(connection, f"select * from {relation}").astype(str)
                state[relation] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        if self.engine == "duckdb":
            state["file sha256"] = hashlib.sha256(self.duckdb_path.read_bytes()).hexdigest()
        state["champion alias"] = self.champion()
        return state

    def _mlflow(self) -> object | None:
        if not (self.store / "mlflow.db").exists():
            return None
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.mlflow_uri, registry_uri=self.mlflow_uri)

    def alias(self) -> str:
        """The alias of this warehouse's champion (named from its identity, as a run names it)."""
        from ml.tracking import champion_alias
        from spf.profile import target_settings
        from spf.publish import environment
        from spf.warehouse import warehouse_identity

        with environment(self.env()):
            return champion_alias(warehouse_identity(target_settings()))

    def champion(self) -> str | None:
        """The version this warehouse's champion alias points at."""
        from mlflow.exceptions import MlflowException

        client = self._mlflow()
        try:
            return str(client.get_model_version_by_alias(REGISTERED_MODEL, self.alias()).version)
        except (AttributeError, MlflowException):  # no store yet, or no alias
            return None

    def recorded_champion(self) -> dict[str, str] | None:
        """The champion recorded in the published warehouse (its ml.champion row), or None."""
        rows = self.query("select * from ml.champion")
        return rows.astype(str).iloc[0].to_dict() if len(rows) else None

    def versions(self) -> int:
        """How many versions of the model are registered."""
        client = self._mlflow()
        return len(client.search_model_versions(f"name = '{REGISTERED_MODEL}'")) if client else 0

    def leftovers(self) -> list[str]:
        """What a run left of its build area (removed by the next run)."""
        if self.engine == "duckdb":
            build = self.directory / ".build"
            return sorted(path.name for path in build.iterdir()) if build.exists() else []
        frame = self.query(
            r"select nspname from pg_namespace where nspname like '%\_\_build'"
            r" or nspname like '%\_\_old' order by 1"
        )
        return frame["nspname"].tolist()

    def lock_is_free(self) -> bool:
        """Whether a new run would take the warehouse lock at once."""
        from spf.lock import PG_LOCK_KEYS

        if self.engine == "duckdb":
            with (self.directory / "warehouse.duckdb.lock").open("a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                fcntl.flock(handle, fcntl.LOCK_UN)
                return True
        with self.connection() as connection, connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s, %s)", PG_LOCK_KEYS)
            return bool(cursor.fetchone()[0])  # released when the connection closes

    @property
    def bi_role(self) -> str:
        """The Postgres database's own read-only role (spf.postgres.bi_role)."""
        from spf.postgres import bi_role

        return bi_role(self.database)

    def drop(self) -> None:
        if self.database is not None:
            drop_postgres_database(self.database)


def drop_postgres_database(name: str, *roles: str) -> None:
    """Drop a test's database and its BI role (server-wide, so left behind otherwise), and
    `roles`, the other roles the test made."""
    from spf.postgres import bi_role

    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"drop database if exists {name} with (force)")
        for role in (bi_role(name), *roles):
            cursor.execute(f'drop role if exists "{role}"')
    admin.close()


def assert_same_snapshot(after: dict[str, object], before: dict[str, object]) -> None:
    """Every table's rows, the file's bytes and the champion alias, as before."""
    assert after.keys() == before.keys()
    for name, value in before.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(after[name], value, obj=name)
        else:
            assert after[name] == value, name


def _frame(connection: object, sql: str) -> pd.DataFrame:
    if isinstance(connection, duckdb.DuckDBPyConnection):
        return connection.execute(sql).df()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


class Poller:
    """Reads both counts of PAIR_SQL every 0.2 s in a thread of its own, and keeps every
    reading and every error. DuckDB: a fresh read-only connection per reading, as the app
    opens one per visit; Postgres: one connection as the database's BI role, as a BI tool
    keeps one."""

    def __init__(self, target: Target, every: float = 0.2) -> None:
        self.target, self.every = target, every
        self.seen: list[tuple[int, int]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        bi = None
        if self.target.engine == "postgres":
            user = self.target.bi_role
            bi = psycopg2.connect(dbname=self.target.database, **{**PG, "user": user})
            bi.autocommit = True
        try:
            while not self._stop.is_set():
                try:
                    if bi is None:
                        with self.target.connection() as connection:
                            row = _frame(connection, PAIR_SQL).iloc[0]
                    else:
                        row = _frame(bi, PAIR_SQL).iloc[0]
                    self.seen.append((int(row["students"]), int(row["kpi_students"])))
                except Exception as error:  # noqa: BLE001 - every error is a finding
                    self.errors.append(repr(error))
                self._stop.wait(self.every)
        finally:
            if bi is not None:
                bi.close()

    def __enter__(self) -> Poller:
        self._thread.start()
        wait_until(lambda: bool(self.seen or self.errors), 30)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(2 * self.every)  # a reading or two after the run
        self._stop.set()
        self._thread.join(timeout=30)


HOLDER_SCRIPT = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
count = "select count(*) from marts.dim_students"
print(connection.execute(count).fetchone()[0], flush=True)
sys.stdin.readline()
print(connection.execute(count).fetchone()[0], flush=True)
"""


class HeldReader:
    """A child process holding a read-only DuckDB connection open (a BI tool, the DuckDB CLI, a
    notebook) until `release()`; it reads the student count when it opens and when released."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.first = int(self.process.stdout.readline())

    def release(self) -> tuple[int, int, str]:
        """(the count read at the start, the count read now, stderr) of the held connection."""
        second, errors = self.process.communicate("\n", timeout=60)
        return self.first, int(second), errors


def interrupt_run(running: Running, moment: str, signum: int) -> tuple[str, Finished]:
    """Wait for `moment` (a MOMENTS key) in the run's output, send `signum` to its process
    group, and wait for it to end."""
    pattern, delay = MOMENTS[moment]
    line = running.wait_for(pattern)
    time.sleep(delay)
    running.send(signum)
    return line, running.finish(seconds=300)


# how a run's stdout says where it is: (line, then seconds to wait)
MOMENTS = {
    # dbt parses the project right after the build step starts (a few seconds)
    "parse": (r"^==> \[2/\d+\] Building", 0.5),
    # the first table of the build area has been created
    "build": (r"OK created sql table model", 0.0),
    # the features are read; cross-validation of five models follows (seconds)
    "training": (r"^ml: [\d,]+ students from", 0.3),
}
SIGNALS = {"SIGINT": signal.SIGINT, "SIGKILL": signal.SIGKILL}


# -- the ML step ----------------------------------------------------------------------------


def latest_metrics(build: Build) -> pd.DataFrame:
    return build.query(
        "select * from ml.model_metrics"
        " where trained_at = (select max(trained_at) from ml.model_metrics)"
        " order by model_name"
    ).set_index("model_name")


def run_ml(build_dir: Path, duckdb_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ml", *args],
        cwd=PROJECT_ROOT,
        env=project_env(duckdb_path, build_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )


def use_warehouse_in_process(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Point this process's warehouse and MLflow store where `env` (project_env, Target.env)
    points a subprocess, for code that reads them in-process (ml.tracking.load_champion)."""
    for name, value in env.items():
        if name.startswith(("SPF_", "MLFLOW_")):
            monkeypatch.setenv(name, value)


def lock_sessions(database: str, pid: int) -> list[int]:
    """The Postgres sessions holding the warehouse lock for the run of process `pid`."""
    with psycopg2.connect(dbname=database, **PG) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select pid from pg_stat_activity where datname = current_database()"
            " and application_name like %s",
            (f"spf run pid={pid} %",),
        )
        return [row[0] for row in cursor.fetchall()]


def terminate_backends(database: str, backends: list[int]) -> None:
    """End these Postgres sessions from outside (as an administrator or a failover would)."""
    connection = psycopg2.connect(dbname=database, **PG)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for backend in backends:
            cursor.execute("select pg_terminate_backend(%s)", (backend,))
    connection.close()
