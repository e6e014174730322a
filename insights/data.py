"""Read the marts of the active target (the ML step's outputs too, as published by their marts),
read-only, in one short visit.

A DuckDB file allows one writer or many readers: the connection is opened, read and closed at
once, so a running dashboard never blocks `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd
import psycopg2

from insights.findings import CLAIMS_TABLE, FINDINGS, RANKING_TABLE
from spf.loads import read_comparison
from spf.warehouse import Warehouse, open_warehouse

# the load history and this load's comparison with the previous one (built by every dbt build)
LOAD_TABLES = ("rpt_load_history", "rpt_load_comparison")

# the marts of the ML step's outputs: absent until a run has trained (`--skip-ml` builds none)
ML_TABLE_NAMES = (
    ("marts", "rpt_model_metrics"),
    ("marts", "rpt_feature_importance"),
    ("marts", "fct_exam_score_predictions"),
)


@dataclass(frozen=True)
class ComparedLoads:
    """The latest load of the history and the load the published build was compared with
    (None: the first load, or none recorded); `same_file` when the published build is of the
    latest load's own file (a rebuild, which adds no load), so it was compared with itself."""

    latest: pd.Series | None
    previous: pd.Series | None
    same_file: bool = False


@dataclass
class Snapshot:
    """Everything the dashboard and the report show, as read at one moment."""

    location: str
    target_name: str
    kpis: pd.Series
    reconciliation: pd.Series
    rejection_reasons: pd.DataFrame
    findings: dict[str, pd.DataFrame]
    ranking: pd.DataFrame
    claims: pd.DataFrame
    # every published load (load_number order), and the latest build beside the load before it
    load_history: pd.DataFrame
    load_comparison: pd.DataFrame
    # the ML step's outputs: None when that step has not created them, empty before training
    model_metrics: pd.DataFrame | None = None
    feature_importance: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def has_model(self) -> bool:
        return self.model_metrics is not None and not self.model_metrics.empty

    def latest_metrics(self) -> pd.DataFrame:
        """The newest training run's row per model (champion first), or an empty frame."""
        if not self.has_model:
            return pd.DataFrame()
        metrics = self.model_metrics
        latest = metrics[metrics["trained_at"] == metrics["trained_at"].max()]
        return latest.sort_values(["is_champion", "cv_mse_mean"], ascending=[False, True])

    def compared_loads(self) -> ComparedLoads:
        """Which loads marts.rpt_load_comparison compares, found in the load history by the
        compared file's SHA-256."""
        history = self.load_history
        latest = history.iloc[-1] if len(history) else None
        compared_sha = self.load_comparison["previous_source_file_sha256"].dropna()
        if latest is None or compared_sha.empty:
            return ComparedLoads(latest, None)
        sha = compared_sha.iloc[0]
        if sha == latest["source_file_sha256"]:
            # the published build read the latest load's file again, which adds no load
            return ComparedLoads(latest, latest, same_file=True)
        earlier = history[
            (history["source_file_sha256"] == sha)
            & (history["load_number"] < latest["load_number"])
        ]
        return ComparedLoads(latest, earlier.iloc[-1] if len(earlier) else None)

    def latest_importance(self) -> pd.DataFrame:
        """The newest run's permutation importances, most important first."""
        latest = self.latest_metrics()
        if latest.empty or self.feature_importance is None:
            return pd.DataFrame()
        run_id = latest["run_id"].iloc[0]
        importance = self.feature_importance
        return importance[importance["run_id"] == run_id].sort_values("importance_rank")


def existing_tables(
    warehouse: Warehouse, schemas: tuple[str, ...] = ("marts",)
) -> set[tuple[str, str]]:
    """(schema, table) of every table and view in `schemas`.

    DuckDB and Postgres answer from information_schema; Spark has none, so it lists each schema
    that exists with `show tables in` (temporary views, which belong to no schema, left out)."""
    if warehouse.type != "spark":
        rows = warehouse.query("select table_schema, table_name from information_schema.tables")
        return {
            (schema, table)
            for schema, table in zip(rows["table_schema"], rows["table_name"], strict=True)
            if schema in schemas
        }
    present = set(warehouse.query("show schemas").iloc[:, 0])
    tables: set[tuple[str, str]] = set()
    for schema in (name for name in schemas if name in present):
        rows = warehouse.query(f"show tables in {schema}")
        rows = rows[~rows["isTemporary"].astype(bool)]
        tables |= {(schema, table) for table in rows["tableName"]}
    return tables


def read_snapshot(target: str | None = None) -> Snapshot:
    """Read every mart the dashboard and the report need; ML outputs when they exist.

    Raises WarehouseUnreadableError when the warehouse cannot be reached or opened (a DuckDB
    file another process is writing, a Postgres server that is down)."""
    try:
        with open_warehouse(target, read_only=True) as warehouse:
            return _read_snapshot(warehouse)
    except (duckdb.Error, psycopg2.OperationalError) as error:
        raise WarehouseUnreadableError(error, Warehouse(target).location) from error


def _read_snapshot(warehouse: Warehouse) -> Snapshot:
    tables = existing_tables(warehouse)
    missing = [
        f"marts.{name}"
        for name in [f.table for f in FINDINGS] + [RANKING_TABLE, CLAIMS_TABLE, *LOAD_TABLES]
        if ("marts", name) not in tables
    ]
    if missing:
        raise MissingMartsError(missing, warehouse.location)

    def optional(schema: str, table: str, sql: str | None = None) -> pd.DataFrame | None:
        if (schema, table) not in tables:
            return None
        return warehouse.query(sql or f"select * from {schema}.{table}")

    history = warehouse.read_table("marts", "rpt_load_history")
    return Snapshot(
        location=warehouse.location,
        target_name=warehouse.target_name,
        kpis=warehouse.read_table("marts", "rpt_kpi_summary").iloc[0],
        reconciliation=warehouse.read_table("marts", "rpt_load_reconciliation").iloc[0],
        rejection_reasons=warehouse.query(
            "select rejection_reasons, count(*) as row_count"
            " from marts.rpt_rejected_rows"
            " group by rejection_reasons"
            " order by row_count desc, rejection_reasons"
        ),
        findings={f.key: f.groups(warehouse.read_table("marts", f.table)) for f in FINDINGS},
        ranking=warehouse.read_table("marts", RANKING_TABLE).sort_values("effect_rank"),
        claims=warehouse.read_table("marts", CLAIMS_TABLE).sort_values("claim_key"),
        load_history=history.sort_values("load_number").reset_index(drop=True),
        load_comparison=_in_history_order(read_comparison(warehouse), history),
        model_metrics=optional(*ML_TABLE_NAMES[0]),
        feature_importance=optional(*ML_TABLE_NAMES[1]),
        predictions=optional(*ML_TABLE_NAMES[2]),
        missing=[f"{s}.{t}" for s, t in ML_TABLE_NAMES if (s, t) not in tables],
    )


def _in_history_order(comparison: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The comparison's row counts and KPIs in the order of the history's columns (rows
    received, accepted, rejected, duplicated, then the KPIs), the columns of the export after
    them as they were."""
    position = {name: index for index, name in enumerate(history.columns)}
    order = [
        position.get(measure, len(position)) if kind != "factor" else len(position)
        for kind, measure in zip(comparison["measure_kind"], comparison["measure"], strict=True)
    ]
    return (
        comparison.assign(_order=order)
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


class MissingMartsError(RuntimeError):
    """The warehouse has no findings or load marts yet: it was built before them, or not at
    all."""

    def __init__(self, missing: list[str], location: str) -> None:
        super().__init__(
            f"The warehouse at {location} has no {', '.join(missing)}: run `make run` first"
        )
        self.missing = missing


class WarehouseUnreadableError(RuntimeError):
    """The warehouse could not be opened or read: the message says why and what to do."""

    def __init__(self, error: Exception, location: str) -> None:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if isinstance(error, psycopg2.OperationalError):
            advice = (
                f"Cannot reach the Postgres warehouse at {location} ({reason}): start the"
                " server, or point SPF_PG_HOST, SPF_PG_PORT, SPF_PG_USER, SPF_PG_PASSWORD and"
                " SPF_PG_DATABASE at one that runs"
            )
        elif isinstance(error, duckdb.IOException):
            advice = (
                f"Cannot open the DuckDB file {location} ({reason}): another process is"
                " probably writing it (`make run`, `dbt build` or `python -m ml train`); wait"
                " for it to finish, then try again"
            )
        else:
            advice = (
                f"Cannot read the DuckDB warehouse at {location} ({reason}): rebuild it with"
                " `make run`"
            )
        super().__init__(advice)
