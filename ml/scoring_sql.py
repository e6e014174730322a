"""The warehouse's validation and encoding rules as one bundle of SQL, to score new students with.

The scoring models (stg_spf__students -> int_students_featured -> ml_exam_score_features, and
rpt_rejected_rows) are compiled by dbt once (`spf_scoring: true`, so a missing exam score is no
reason to reject a student) and kept in target/scoring/, keyed by a fingerprint of the
project's models, macros and settings: they are compiled again only when one of them changes.
The bundle also travels with each registered champion (`scoring_sql.json`, ml.tracking), so the
served model runs the rules it was trained with and needs no dbt project or parse.

`ScoringSql.run(raw)` runs the bundle on raw rows, each model as a table of an in-memory DuckDB
that lives as long as the process (opening one costs more than scoring a student). Planning the
staging model (35 KB of SQL, a CASE or two per column) costs more than running it on a few rows,
so two planner passes that only pay off on large inputs, inlining the CTEs and eliminating
common subexpressions, are off on that connection: the results are the same (a test of
tests/test_ml_predict.py compares them with the warehouse's), one student is cleaned in about
60 ms instead of 110, and a hundred thousand no slower.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from spf.profile import PROJECT_ROOT, ConfigurationError

SCORING_MODELS = (
    "stg_spf__students",
    "int_students_featured",
    "ml_exam_score_features",
    "rpt_rejected_rows",
)
CACHE = PROJECT_ROOT / "target" / "scoring"
_DATABASE = "scoring"  # the catalog the SQL is compiled for (an in-memory one when scoring)
_FINGERPRINTED = ("dbt_project.yml", "models", "macros")
# planner passes that cost more than they save on a request's few rows (see the docstring)
_DISABLED_OPTIMIZERS = "cte_inlining,common_subexpressions"
_LOCK = threading.Lock()
_CONNECTIONS: dict[int, duckdb.DuckDBPyConnection] = {}  # per process id: one after a fork


class ScoringFailed(ConfigurationError):
    """The students could not be scored at all (wrong columns); the message says why."""


@dataclass(frozen=True)
class ScoringSql:
    """The compiled SQL of the scoring models, and the raw table they read."""

    source_relation: str
    source_columns: list[str]
    models: dict[str, tuple[str, str]]  # name: (relation, compiled SQL), in dependency order

    def to_json(self) -> str:
        return json.dumps(
            {
                "source_relation": self.source_relation,
                "source_columns": self.source_columns,
                "models": self.models,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ScoringSql:
        """A bundle written by to_json (or the cache); ScoringFailed when it is not one."""
        try:
            bundle = json.loads(text)
            models = {str(name): (str(r), str(sql)) for name, (r, sql) in bundle["models"].items()}
            found = cls(bundle["source_relation"], list(bundle["source_columns"]), models)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ScoringFailed(f"not a scoring SQL bundle ({type(error).__name__})") from None
        missing = sorted(set(SCORING_MODELS) - set(found.models))
        if missing:
            raise ScoringFailed(f"the scoring SQL bundle lacks the models {', '.join(missing)}")
        return found

    def run(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Raw rows (ml.scoring.raw_frame) through the models: (features of the accepted rows,
        the rejected rows with their reasons), each in row order."""
        frame = raw.reindex(columns=self.source_columns).astype("object")
        frame = frame.where(frame.notna(), None)
        types = ", ".join(f'cast("{name}" as varchar) as "{name}"' for name in frame.columns)
        relations = [self.source_relation] + [relation for relation, _ in self.models.values()]
        with _LOCK:
            connection = _connection()
            for schema in {relation.split(".")[1] for relation in relations}:
                connection.execute(f"create schema if not exists {schema}")
            connection.register("incoming_students", frame)
            try:
                connection.execute(
                    f"create or replace table {self.source_relation}"
                    f" as select {types} from incoming_students"
                )
                for relation, compiled in self.models.values():  # each model once, as a table
                    connection.execute(f"create or replace table {relation} as {compiled}")
                features = connection.execute(
                    f"select * from {self.models['ml_exam_score_features'][0]}"
                    " order by source_row_number"
                ).df()
                rejected = connection.execute(
                    "select source_row_number, rejection_reasons"
                    f" from {self.models['rpt_rejected_rows'][0]} order by source_row_number"
                ).df()
            finally:  # nothing of these students stays in memory
                connection.unregister("incoming_students")
                for relation in reversed(relations):
                    connection.execute(f"drop table if exists {relation}")
        return features, rejected


def _connection() -> duckdb.DuckDBPyConnection:
    """This process's scoring database (in memory), opened on first use; call under _LOCK."""
    pid = os.getpid()
    if pid not in _CONNECTIONS:
        connection = duckdb.connect()
        connection.execute(f"attach ':memory:' as {_DATABASE}")
        connection.execute(f"use {_DATABASE}")
        connection.execute(f"set disabled_optimizers = '{_DISABLED_OPTIMIZERS}'")
        _CONNECTIONS[pid] = connection
    return _CONNECTIONS[pid]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _FINGERPRINTED:
        path = PROJECT_ROOT / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in (f for f in files if f.is_file()):
            digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _compile(cached: Path) -> None:
    from spf.dbt import compile_models

    with tempfile.TemporaryDirectory(prefix="spf-scoring-") as scratch:
        nodes = compile_models(
            list(SCORING_MODELS),
            target="duckdb",
            variables={"spf_scoring": True},
            target_path=CACHE / "dbt",
            environment={
                "SPF_DUCKDB_PATH": str(Path(scratch) / f"{_DATABASE}.duckdb"),
                "SPF_SCHEMA_SUFFIX": "",
            },
        )
    by_id = {node.unique_id: node for node in nodes}
    (source,) = {
        parent for node in nodes for parent in node.depends_on.nodes if parent.startswith("source.")
    }
    ordered: list = []
    while len(ordered) < len(nodes):  # dependency order: each model after what it reads
        done = {node.unique_id for node in ordered}
        ordered += sorted(
            (
                node
                for node in nodes
                if node.unique_id not in done
                and all(parent in done or parent not in by_id for parent in node.depends_on.nodes)
            ),
            key=lambda node: node.name,
        )
    outside = {
        parent
        for node in nodes
        for parent in node.depends_on.nodes
        if parent not in by_id and parent != source
    }
    if outside:
        raise ScoringFailed(f"the scoring models read models outside them: {sorted(outside)}")
    # the source as this compile saw it, from its own manifest (no second parse)
    manifest = json.loads((CACHE / "dbt" / "manifest.json").read_text())
    source_node = manifest["sources"][source]
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".tmp")
    partial.write_text(
        ScoringSql(
            f'"{_DATABASE}"."{source_node["schema"]}"."{source_node["name"]}"',
            list(source_node["columns"]),
            {node.name: (node.relation_name, node.compiled_code) for node in ordered},
        ).to_json()
    )
    partial.replace(cached)


def scoring_sql() -> ScoringSql:
    """The scoring models' compiled SQL: from the cache, or compiled now (a few seconds, once
    per change of the project)."""
    cached = CACHE / f"{_fingerprint()}.json"
    with _LOCK:
        if not cached.exists():
            _compile(cached)
        text = cached.read_text()
    return ScoringSql.from_json(text)
