"""Read from and write to the active target's warehouse (DuckDB file or Postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from spf.profile import PROJECT_ROOT, ConfigurationError, target_settings


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
        path = Path(self.settings["path"])
        return path if path.is_absolute() else PROJECT_ROOT / path

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
            )  # fmt: skip
            self._connection.autocommit = True
        else:
            raise ConfigurationError(f"Python access to '{self.type}' targets is not supported")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def query(self, sql: str) -> pd.DataFrame:
        """Run a SELECT and return its rows as a DataFrame."""
        connection = self.connect()
        if self.type == "duckdb":
            return connection.execute(sql).df()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            columns = [d[0] for d in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=columns)

    def execute(self, sql: str) -> None:
        connection = self.connect()
        if self.type == "duckdb":
            connection.execute(sql)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    def read_table(self, schema: str, table: str) -> pd.DataFrame:
        return self.query(f"select * from {schema}.{table}")


@contextmanager
def open_warehouse(target: str | None = None, read_only: bool = False) -> Iterator[Warehouse]:
    warehouse = Warehouse(target)
    warehouse.connect(read_only=read_only)
    try:
        yield warehouse
    finally:
        warehouse.close()
