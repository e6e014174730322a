"""Warehouse access for the ML step: read the features mart, write schema `ml`.

Reads marts only. The `ml` tables are created empty by dbt's on-run-start hook
(macros/create_ml_output_tables.sql, where their columns and types are defined); this module
fills them through `spf.warehouse`, so it works on every engine the warehouse runs on.
"""

from __future__ import annotations

import pandas as pd

from spf.profile import ConfigurationError
from spf.warehouse import Warehouse

FEATURES = ("marts", "ml_exam_score_features")
OUTPUT_SCHEMA = "ml"
OUTPUT_TABLES = ("model_metrics", "feature_importance", "predictions")
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


def read_features(warehouse: Warehouse) -> pd.DataFrame:
    """The features mart, one row per accepted student, in raw-file order."""
    relation = warehouse.relation(*FEATURES)
    if _columns(warehouse, relation) is None:
        raise ConfigurationError(
            f"{relation} does not exist in {warehouse.location}: build the warehouse first"
            " (`make run`, or `dbt build`)"
        )
    features = warehouse.query(f"select * from {relation} order by source_row_number")
    if len(features) < 10:
        raise ConfigurationError(
            f"{relation} holds {len(features)} students, too few to train on: see"
            " marts.rpt_rejected_rows for the rows that were rejected"
        )
    return features


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


def write_outputs(
    warehouse: Warehouse,
    model_metrics: pd.DataFrame,
    feature_importance: pd.DataFrame,
    predictions: pd.DataFrame,
) -> None:
    """Append the run's metrics and importances; replace the predictions with the run's."""
    columns = output_columns(warehouse)
    for table, frame, append in (
        ("model_metrics", model_metrics, True),
        ("feature_importance", feature_importance, True),
        ("predictions", predictions, False),
    ):
        if frame.empty and not append:
            # no rows (a champion that was not promoted predicts nothing): emptied, keeping the
            # table's types, which a DataFrame without rows cannot give (DuckDB types it NULL)
            warehouse.execute(f"truncate table {warehouse.relation(OUTPUT_SCHEMA, table)}")
            continue
        warehouse.write_table(
            _as_table(frame, table, columns[table]), OUTPUT_SCHEMA, table, append=append
        )
