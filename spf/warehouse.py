"""Read from and write to the active target's warehouse (DuckDB file or Postgres).

Inside a run's build area (spf.publish) the same code reaches the build area: the DuckDB path
is the build file's, and on Postgres `schema("marts")` is `marts__build`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from spf.profile import PROJECT_ROOT, ConfigurationError, target_settings

SUFFIX_VARIABLE = "SPF_SCHEMA_SUFFIX"  # set by spf.publish; read by macros/spf_schema.sql too


def schema_suffix() -> str:
    """The suffix of the schemas being built (empty outside a Postgres/Spark build area)."""
    return os.environ.get(SUFFIX_VARIABLE, "")


def project_path(path: str | Path) -> Path:
    """A path of the profile, relative to the project root unless it is absolute."""
    path = Path(path)
    return path if path.is_absolute() else PROJECT_ROOT / path


def warehouse_identity(settings: dict[str, Any]) -> str:
    """What names one published warehouse, however its settings reach it (read them outside a
    build area): DuckDB, the real path of its file (links followed); Postgres,
    host:port/database as the profile names them; Spark, the real path of its warehouse
    directory. A warehouse's champion is recorded under it (ml.tracking)."""
    kind = settings["type"]
    if kind == "duckdb":
        return f"duckdb:{project_path(settings['path']).resolve()}"
    if kind == "postgres":
        return f"postgres://{settings['host']}:{settings['port']}/{settings['dbname']}"
    if kind == "spark":
        directory = settings.get("server_side_parameters", {}).get("spark.sql.warehouse.dir")
        return f"spark:{project_path(directory or settings['target_name']).resolve()}"
    return f"{kind}:{settings['target_name']}"


class Warehouse:
    """A connection to the warehouse of one dbt target."""

    def __init__(self, target: str | None = None) -> None:
        self.settings = target_settings(target)
        self.type: str = self.settings["type"]
        self.target_name: str = self.settings["target_name"]
        self._connection: Any = None

    @property
    def location(self) -> str:
        if self.type == "duckdb":
            return str(self.duckdb_path)
        if self.type == "postgres":
            s = self.settings
            return f"postgresql://{s['user']}@{s['host']}:{s['port']}/{s['dbname']}"
        return self.target_name

    @property
    def duckdb_path(self) -> Path:
        return project_path(self.settings["path"])

    @staticmethod
    def schema(layer: str) -> str:
        """The schema that holds a layer (raw, staging, intermediate, marts, ml) right now."""
        return layer + schema_suffix()

    def relation(self, layer: str, table: str) -> str:
        return f"{self.schema(layer)}.{table}"

    def connect(self, read_only: bool = False) -> Any:
        if self._connection is not None:
            return self._connection
        if self.type == "duckdb":
            import duckdb

            if read_only and not self.duckdb_path.exists():
                raise ConfigurationError(
                    f"No warehouse at {self.duckdb_path}: run `make run` (or `dbt build`) first"
                )
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = duckdb.connect(str(self.duckdb_path), read_only=read_only)
        elif self.type == "postgres":
            import psycopg2

            s = self.settings
            self._connection = psycopg2.connect(
                host=s["host"], port=s["port"], user=s["user"],
                password=s.get("password") or None, dbname=s["dbname"],
                application_name=s.get("application_name") or "spf",
            )  # fmt: skip
            self._connection.autocommit = True
        elif self.type == "spark":
            self._connection = spark_session(self.settings)
        else:
            raise ConfigurationError(f"Python access to '{self.type}' targets is not supported")
        return self._connection

    def close(self) -> None:
        if self._connection is not None and self.type != "spark":
            self._connection.close()  # a Spark session is shared with dbt in this process
        self._connection = None

    def query(self, sql: str) -> pd.DataFrame:
        """Run a SELECT and return its rows as a DataFrame."""
        connection = self.connect()
        if self.type == "duckdb":
            return connection.execute(sql).df()
        if self.type == "spark":
            return connection.sql(sql).toPandas()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def execute(self, sql: str) -> None:
        connection = self.connect()
        if self.type in ("duckdb", "spark"):
            connection.sql(sql) if self.type == "spark" else connection.execute(sql)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    def read_table(self, layer: str, table: str) -> pd.DataFrame:
        return self.query(f"select * from {self.relation(layer, table)}")

    def write_table(
        self, frame: pd.DataFrame, layer: str, table: str, append: bool = False
    ) -> None:
        """Create (or replace, or append to) a layer's table from a DataFrame."""
        connection = self.connect()
        name = self.relation(layer, table)
        self.execute(f"create schema if not exists {self.schema(layer)}")
        if self.type == "duckdb":
            connection.register("frame_to_write", frame)
            verb = "insert into" if append else "create or replace table"
            connection.execute(
                f"{verb} {name} {'' if append else 'as '}select * from frame_to_write"
            )
            connection.unregister("frame_to_write")
        elif self.type == "spark":
            data = connection.createDataFrame(frame)
            data.write.mode("append" if append else "overwrite").saveAsTable(name)
        else:
            _write_postgres(connection, frame, name, append)


def spark_session(settings: dict[str, Any]) -> Any:
    """The Spark session of the profile's `server_side_parameters` (dbt's own, in-process)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in settings.get("server_side_parameters", {}).items():
        builder = builder.config(key, str(value))
    return builder.getOrCreate()


_PG_TYPES = {
    "i": "bigint",
    "u": "bigint",
    "f": "double precision",
    "b": "boolean",
    "M": "timestamp",
}


def _write_postgres(connection: Any, frame: pd.DataFrame, name: str, append: bool) -> None:
    import io

    with connection.cursor() as cursor:
        if not append:
            columns = ", ".join(
                f'"{column}" {_PG_TYPES.get(dtype.kind, "text")}'
                for column, dtype in frame.dtypes.items()
            )
            cursor.execute(f"drop table if exists {name}")
            cursor.execute(f"create table {name} ({columns})")
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        quoted = ", ".join(f'"{column}"' for column in frame.columns)
        cursor.copy_expert(f"copy {name} ({quoted}) from stdin with (format csv)", buffer)


@contextmanager
def open_warehouse(target: str | None = None, read_only: bool = False) -> Iterator[Warehouse]:
    warehouse = Warehouse(target)
    warehouse.connect(read_only=read_only)
    try:
        yield warehouse
    finally:
        warehouse.close()
