"""Write–audit–publish: every run builds a private copy of the warehouse, tests it there, and
only then publishes it in one atomic step. Readers see the previous complete warehouse or the
new complete one, never a mix; a failed, refused or interrupted run leaves them what they had.

- DuckDB: the build area is a new file, `warehouse/.build/<name>.duckdb` (same file name, so
  the catalog name inside is the published one's). Publishing checkpoints and closes it, then
  `os.replace`s it over the published file: a reader holding the old file keeps reading it,
  new connections open the new one. Readers never block the build, and the build never blocks
  readers.
- Postgres: the build area is a set of shadow schemas (`raw__build`, `staging__build`,
  `intermediate__build`, `marts__build`, `ml__build`, `history__build`), with the reader role's
  grants made there. Publishing renames all six in one transaction (`marts` -> `marts__old`,
  `marts__build` -> `marts`, ...), then drops the old ones. A query sees old or new tables.
  Those statements run on the lock's own session, in transactions that first prove the lock is
  still held (spf.lock.HeldLock): a run whose lock was lost drops and publishes nothing. The
  run's build connections carry the application name `spf build`; the next holder of
  the lock ends any such session left by a run that lost it, so a run builds alone.
- Spark: built in place (no atomic swap across databases in Spark's session catalog); readers
  may see a mix while a Spark build runs. See the README.

The load history (schema `history`: every published load) is carried forward: each build area
starts with a copy of the published one (`keep_history`), and the run appends its own load
before publishing; on Spark it stays where it is.

The lock (spf.lock) makes the build area one run's own: a stale area left by a killed run is
removed by the next run, which holds the lock.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from spf.lock import HeldLock, LockLost, file_lock, postgres_lock
from spf.profile import PROJECT_ROOT, ConfigurationError
from spf.warehouse import SUFFIX_VARIABLE

LAYERS = ("raw", "staging", "intermediate", "marts", "ml", "history")
RAW_TABLE = "student_performance_factors"
HISTORY = "history"  # the schema of the load history (macros/create_history_tables.sql)
BUILD_SUFFIX = "__build"
OLD_SUFFIX = "__old"
# the application name of a run's build connections on Postgres (dbt's and the ML step's); one
# name for every run: dbt re-parses the whole project when its connection settings change
APPLICATION_VARIABLE = "SPF_PG_APPLICATION_NAME"
BUILD_APPLICATION = "spf build"


class PublishFailed(ConfigurationError):
    """The tested build could not be published; the published warehouse is unchanged."""


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (dbt reads them when it renders the profile)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class BuildArea:
    """Where one run builds, and how it publishes, for one engine."""

    #: readers see this during a run, and this after a failed one (README, `spf run` output)
    guarantee = ""
    docs_after_publish = False

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def lock(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def environ(self) -> dict[str, str]:
        """Environment variables that point dbt and spf.warehouse at the build area."""
        return {}

    def published_environ(self) -> dict[str, str] | None:
        """Environment variables that point spf.warehouse at the published warehouse from
        inside the build area; None when the build area is the published warehouse (in place)."""
        return None

    @property
    def scratch(self) -> Path:
        """A private folder of the run's (e.g. a UTF-8 copy of the raw file)."""
        return PROJECT_ROOT / "warehouse" / ".build" / "scratch"

    def reset(self) -> None:
        """Remove whatever a previous (failed, killed) run left in the build area."""
        self.clear_scratch()

    def clear_scratch(self) -> None:
        """Remove the run's private files (the landed link or copy) once it has published."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def keep_raw(self) -> bool:
        """Copy the published raw table into the build area; False when there is none."""
        return False

    def keep_history(self) -> list[str]:
        """Copy the published load history (every table of schema `history`) into the build
        area; the names of the tables copied (none when nothing is published yet)."""
        return []

    @property
    def lock_lost(self) -> Exception | None:
        """Why this run no longer holds its lock (Postgres only), else None."""
        return None

    def publish(self) -> None:
        raise NotImplementedError


class DuckDBBuildArea(BuildArea):
    guarantee = (
        "readers keep the previous file until the new one replaces it in one step; a failed"
        " run leaves it untouched"
    )

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        path = Path(settings["path"])
        # a symlinked warehouse path publishes to the link's target (the link stays a link)
        self.published = (path if path.is_absolute() else PROJECT_ROOT / path).resolve()
        self.build = self.published.parent / ".build" / self.published.name

    @property
    def scratch(self) -> Path:
        return self.build.parent / "scratch"

    def lock(self) -> AbstractContextManager[None]:
        return file_lock(self.published.with_name(self.published.name + ".lock"))

    def environ(self) -> dict[str, str]:
        return {"SPF_DUCKDB_PATH": str(self.build)}

    def published_environ(self) -> dict[str, str]:
        return {"SPF_DUCKDB_PATH": str(self.published)}

    def reset(self) -> None:
        super().reset()
        for path in (self.build, self.build.with_name(self.build.name + ".wal")):
            path.unlink(missing_ok=True)
        self.build.parent.mkdir(parents=True, exist_ok=True)

    def keep_raw(self) -> bool:
        return bool(self._copy_published("raw", [RAW_TABLE]))

    def keep_history(self) -> list[str]:
        return self._copy_published(HISTORY)

    def _copy_published(self, schema: str, tables: list[str] | None = None) -> list[str]:
        """Copy tables of a schema (`tables`, or all of them) from the published file, read
        only, into the build file; the names of those found and copied."""
        import duckdb

        if not self.published.exists():
            return []
        with duckdb.connect(str(self.build)) as connection:
            connection.execute("attach ? as published (read_only)", [str(self.published)])
            found = [
                row[0]
                for row in connection.execute(
                    "select table_name from duckdb_tables()"
                    " where database_name = 'published' and schema_name = ? order by table_name",
                    [schema],
                ).fetchall()
                if tables is None or row[0] in tables
            ]
            if found:
                connection.execute(f"create schema if not exists {schema}")
            for table in found:
                connection.execute(
                    f"create table {schema}.{table} as select * from published.{schema}.{table}"
                )
            connection.execute("detach published")
        return found

    def publish(self) -> None:
        import duckdb

        try:
            with duckdb.connect(str(self.build)) as connection:
                connection.execute("checkpoint")
            # a write-ahead log left beside the published file by a killed plain `dbt build`
            # belongs to the old file; replayed onto the new one it would corrupt it
            self.published.with_name(self.published.name + ".wal").unlink(missing_ok=True)
            os.replace(self.build, self.published)
        except (OSError, duckdb.Error) as error:  # e.g. the disk filled up at the checkpoint
            reason = str(error).strip().splitlines()[0]
            raise PublishFailed(
                f"could not publish the warehouse to {self.published}: {reason}. The published"
                " warehouse is unchanged; free some disk space (or fix the cause) and run again."
            ) from None


class PostgresBuildArea(BuildArea):
    guarantee = (
        "readers (the database's BI role) keep the previous schemas until one transaction swaps"
        " in the new ones; a failed run leaves them untouched"
    )
    docs_after_publish = True  # the docs site names the published schemas, not the shadows

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(settings)
        self.held: HeldLock | None = None

    @contextmanager
    def lock(self) -> Iterator[None]:
        import psycopg2

        s = self.settings

        def connect(application_name: str) -> Any:
            return psycopg2.connect(
                host=s["host"], port=s["port"], user=s["user"],
                password=s.get("password") or None, dbname=s["dbname"],
                application_name=application_name,
            )  # fmt: skip

        where = f"database {s['dbname']} on {s['host']}:{s['port']}"
        with postgres_lock(connect, where) as held:
            self.held = held
            try:
                self._end_stale_builds()
                yield
            finally:
                self.held = None

    @property
    def lock_lost(self) -> LockLost | None:
        return self.held.lost if self.held else None

    def environ(self) -> dict[str, str]:
        return {
            SUFFIX_VARIABLE: BUILD_SUFFIX,
            APPLICATION_VARIABLE: BUILD_APPLICATION,
        }

    def published_environ(self) -> dict[str, str]:
        return {SUFFIX_VARIABLE: ""}

    def _end_stale_builds(self) -> None:
        """End the build sessions of a run that lost the lock (it may still be writing to the
        shadow schemas): this run, which holds the lock now and has opened none yet, builds
        alone."""
        self._run(
            [
                "select pg_terminate_backend(pid) from pg_stat_activity"
                " where datname = current_database() and pid != pg_backend_pid()"
                f" and application_name = '{BUILD_APPLICATION}'"
            ]
        )

    def _run(self, statements: list[str]) -> list[Any]:
        """Run statements in one transaction on the lock's session, which first proves that
        this run still holds the lock (spf.lock.HeldLock.transaction)."""
        if self.held is None:
            raise RuntimeError("the build area's statements run only while its lock is held")
        results = []
        with self.held.transaction() as cursor:
            for statement in statements:
                cursor.execute(statement)
                results.append(cursor.fetchall() if cursor.description else None)
        return results

    def _existing(self, names: list[str]) -> set[str]:
        listed = ", ".join(f"'{name}'" for name in names)
        rows = self._run([f"select nspname from pg_namespace where nspname in ({listed})"])[0]
        return {row[0] for row in rows}

    def reset(self) -> None:
        super().reset()
        stale = [layer + suffix for layer in LAYERS for suffix in (BUILD_SUFFIX, OLD_SUFFIX)]
        self._run([f"drop schema if exists {name} cascade" for name in stale])

    def keep_raw(self) -> bool:
        rows = self._run(
            [
                "select count(*) from information_schema.tables"
                f" where table_schema = 'raw' and table_name = '{RAW_TABLE}'"
            ]
        )[0]
        if not rows[0][0]:
            return False
        self._run(
            [
                f"create schema if not exists raw{BUILD_SUFFIX}",
                f"create table raw{BUILD_SUFFIX}.{RAW_TABLE} as select * from raw.{RAW_TABLE}",
            ]
        )
        return True

    def keep_history(self) -> list[str]:
        rows = self._run(
            [
                "select table_name from information_schema.tables"
                f" where table_schema = '{HISTORY}' and table_type = 'BASE TABLE'"
                " order by table_name"
            ]
        )[0]
        found = [row[0] for row in rows]
        if found:
            self._run(
                [f"create schema if not exists {HISTORY}{BUILD_SUFFIX}"]
                + [
                    f"create table {HISTORY}{BUILD_SUFFIX}.{table}"
                    f" as select * from {HISTORY}.{table}"
                    for table in found
                ]
            )
        return found

    def publish(self) -> None:
        built = self._existing([layer + BUILD_SUFFIX for layer in LAYERS])
        published = self._existing(list(LAYERS))
        swap = []
        for layer in LAYERS:
            if layer + BUILD_SUFFIX not in built:
                continue
            if layer in published:
                swap.append(f"alter schema {layer} rename to {layer}{OLD_SUFFIX}")
            swap.append(f"alter schema {layer}{BUILD_SUFFIX} rename to {layer}")
        self._run(swap)
        # outside the swap: a reader's long query on an old table delays this, not the publish
        self._run([f"drop schema if exists {layer}{OLD_SUFFIX} cascade" for layer in LAYERS])


class InPlaceBuildArea(BuildArea):
    guarantee = "built in place: readers may see a mix of old and new tables while a run builds"

    def lock(self) -> AbstractContextManager[None]:
        spark_dir = Path(os.environ.get("SPF_SPARK_DIR", ".spark"))
        spark_dir = spark_dir if spark_dir.is_absolute() else PROJECT_ROOT / spark_dir
        return file_lock(spark_dir / "spf.lock")

    def keep_raw(self) -> bool:
        return True  # the raw table stays where it is unless a file is given

    def publish(self) -> None:
        return None


def build_area(settings: dict[str, Any]) -> BuildArea:
    return {"duckdb": DuckDBBuildArea, "postgres": PostgresBuildArea}.get(
        settings["type"], InPlaceBuildArea
    )(settings)
