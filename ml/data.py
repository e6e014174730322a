"""Warehouse access for the ML step: read the features mart, write schema `ml`.

Reads marts only. The `ml` tables are created empty by dbt's on-run-start hook
(macros/create_ml_output_tables.sql, where their columns and types are defined); this module
fills them through `spf.warehouse`, so it works on every engine the warehouse runs on. One of
them, `ml.champion`, records which registered model is this warehouse's champion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from spf.definitions import var
from spf.profile import ConfigurationError
from spf.warehouse import Warehouse, open_warehouse

FEATURES = ("marts", "ml_exam_score_features")
OUTPUT_SCHEMA = "ml"
OUTPUT_TABLES = ("model_metrics", "feature_importance", "predictions", "champion")
CHAMPION_TABLE = "champion"
# The ML step's bounds (commented in dbt_project.yml): students the candidates are compared on,
# and raw rows predicted per batch.
TRAINING_SAMPLE_ROWS = int(var("ml_training_sample_rows"))
PREDICTION_BATCH_ROWS = int(var("ml_prediction_batch_rows"))
_SAMPLE_HEX_DIGITS = 6
_COUNT_COLUMNS = ("n_train", "n_test", "n_test_anomalies", "importance_rank")


def _missing_table_errors(engine: str) -> tuple[type[Exception], ...]:
    """The engine's own "no such table" error; any other failure (a connection refused, a
    permission denied, a locked file) is not one and propagates."""
    if engine == "duckdb":
        import duckdb

        return (duckdb.CatalogException,)
    if engine == "postgres":
        from psycopg2.errors import UndefinedTable

        return (UndefinedTable,)
    if engine == "spark":
        from pyspark.errors import AnalysisException

        return (AnalysisException,)
    return ()


def _columns(warehouse: Warehouse, relation: str) -> list[str] | None:
    """The relation's columns in table order, or None when it does not exist."""
    try:
        return list(warehouse.query(f"select * from {relation} where 1 = 0").columns)
    except _missing_table_errors(warehouse.type):
        return None


def count_features(warehouse: Warehouse) -> int:
    """Accepted students in the features mart; fails, with the fix, when it is missing."""
    relation = warehouse.relation(*FEATURES)
    if _columns(warehouse, relation) is None:
        raise ConfigurationError(
            f"{relation} does not exist in {warehouse.location}: build the warehouse first"
            " (`make run`, or `dbt build`)"
        )
    return int(warehouse.query(f"select count(*) as n from {relation}")["n"].iloc[0])


def read_features(warehouse: Warehouse, total: int) -> pd.DataFrame:
    """The students the models are compared on, in raw-file order: every accepted student up
    to TRAINING_SAMPLE_ROWS; above that, a deterministic sample of about that many, spread
    over the whole file: the students whose key (an MD5 of their row, in hex on every engine)
    starts below a cut-off, the same students every run."""
    relation = warehouse.relation(*FEATURES)
    if total < 10:
        raise ConfigurationError(
            f"{relation} holds {total} students, too few to train on: see"
            " marts.rpt_rejected_rows for the rows that were rejected"
        )
    where = ""
    if total > TRAINING_SAMPLE_ROWS:
        below = int(TRAINING_SAMPLE_ROWS / total * 16**_SAMPLE_HEX_DIGITS)
        where = f" where substr(student_key, 1, {_SAMPLE_HEX_DIGITS}) < '{below:06x}'"
    return warehouse.query(f"select * from {relation}{where} order by source_row_number")


def feature_batches(warehouse: Warehouse) -> Iterator[pd.DataFrame]:
    """Every accepted student, in raw-file order, PREDICTION_BATCH_ROWS raw rows at a time."""
    relation = warehouse.relation(*FEATURES)
    bounds = warehouse.query(
        f"select min(source_row_number) as first, max(source_row_number) as last from {relation}"
    ).iloc[0]
    if pd.isna(bounds["first"]):
        return
    for start in range(int(bounds["first"]), int(bounds["last"]) + 1, PREDICTION_BATCH_ROWS):
        batch = warehouse.query(
            f"select * from {relation} where source_row_number >= {start}"
            f" and source_row_number < {start + PREDICTION_BATCH_ROWS}"
            " order by source_row_number"
        )
        if len(batch):
            yield batch


def output_columns(warehouse: Warehouse) -> dict[str, list[str]]:
    """The columns of each `ml` table; fails, with the fix, when a table is missing."""
    found = {
        name: _columns(warehouse, warehouse.relation(OUTPUT_SCHEMA, name)) for name in OUTPUT_TABLES
    }
    missing = [
        warehouse.relation(OUTPUT_SCHEMA, name)
        for name, columns in found.items()
        if columns is None
    ]
    if missing:
        raise ConfigurationError(
            f"{', '.join(missing)} missing in {warehouse.location}: run `dbt build` (its"
            " on-run-start hook creates the ml tables)"
        )
    return {name: columns for name, columns in found.items() if columns is not None}


def _as_table(frame: pd.DataFrame, table: str, columns: list[str]) -> pd.DataFrame:
    """`frame` with exactly the table's columns, in its order (engines insert by position)."""
    if set(frame.columns) != set(columns):
        raise ConfigurationError(
            f"{OUTPUT_SCHEMA}.{table} has columns {', '.join(columns)}, but the ML step writes"
            f" {', '.join(frame.columns)}: drop the table and run `dbt build` to recreate it"
        )
    frame = frame[columns].copy()
    for name in _COUNT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("int32")
    return frame


def write_evaluation(
    warehouse: Warehouse, model_metrics: pd.DataFrame, feature_importance: pd.DataFrame
) -> None:
    """Append the run's metrics and importances."""
    columns = output_columns(warehouse)
    for table, frame in (
        ("model_metrics", model_metrics),
        ("feature_importance", feature_importance),
    ):
        warehouse.write_table(
            _as_table(frame, table, columns[table]), OUTPUT_SCHEMA, table, append=True
        )


def clear_predictions(warehouse: Warehouse) -> None:
    """Empty ml.predictions, keeping its types (a DataFrame without rows cannot give them)."""
    warehouse.execute(f"truncate table {warehouse.relation(OUTPUT_SCHEMA, 'predictions')}")


def append_predictions(warehouse: Warehouse, predictions: pd.DataFrame, columns: list[str]) -> None:
    """Append a batch to ml.predictions, whose `columns` (output_columns) are read once."""
    warehouse.write_table(
        _as_table(predictions, "predictions", columns), OUTPUT_SCHEMA, "predictions", append=True
    )


@dataclass(frozen=True)
class ChampionRecord:
    """A warehouse's champion, as recorded in its `ml.champion` (one row): the registered
    model's version, the run that trained it and the SHA-256 fingerprint of its files."""

    registered_model: str
    model_version: str
    run_id: str
    fingerprint_sha256: str
    trained_at: datetime

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])


def read_champion(warehouse: Warehouse) -> ChampionRecord | None:
    """The champion recorded in the warehouse, or None (no row, or no ml.champion: a warehouse
    built before champions were recorded)."""
    relation = warehouse.relation(OUTPUT_SCHEMA, CHAMPION_TABLE)
    if _columns(warehouse, relation) is None:
        return None
    rows = warehouse.query(f"select * from {relation}")
    if len(rows) != 1:
        return None
    row = rows.iloc[0]
    return ChampionRecord(
        registered_model=str(row["registered_model"]),
        model_version=str(row["model_version"]),
        run_id=str(row["run_id"]),
        fingerprint_sha256=str(row["fingerprint_sha256"]),
        trained_at=pd.Timestamp(row["trained_at"]).to_pydatetime(),
    )


def write_champion(warehouse: Warehouse, record: ChampionRecord) -> None:
    """Make `record` the warehouse's champion (the one row of ml.champion)."""
    columns = output_columns(warehouse)[CHAMPION_TABLE]
    warehouse.execute(f"truncate table {warehouse.relation(OUTPUT_SCHEMA, CHAMPION_TABLE)}")
    warehouse.write_table(
        _as_table(record.frame(), CHAMPION_TABLE, columns),
        OUTPUT_SCHEMA,
        CHAMPION_TABLE,
        append=True,
    )


def keep_published_champion(target: str | None, published: dict[str, str]) -> ChampionRecord | None:
    """Record the published warehouse's champion in the build area too, so that a run that
    registers none (its model was refused, or it skipped the ML step) publishes the warehouse
    with the champion it had. `published` points spf.warehouse at the published warehouse
    (spf.publish.BuildArea.published_environ). Returns the record kept, or None."""
    from spf.publish import environment

    with environment(published):
        source = Warehouse(target)
        if source.type == "duckdb" and not source.duckdb_path.exists():
            return None  # nothing published yet
        try:
            source.connect(read_only=True)  # readers of the published file are not blocked
            record = read_champion(source)
        finally:
            source.close()
    if record is not None:
        with open_warehouse(target) as warehouse:
            write_champion(warehouse, record)
    return record
