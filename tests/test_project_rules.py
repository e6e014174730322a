"""The project passes dbt-project-evaluator's rules (tests/evaluator.py), checked on the manifest
dbt parses from this checkout."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.evaluator import RULES, Project

DBT = Path(os.environ.get("VIRTUAL_ENV", PROJECT_ROOT / ".venv")) / "bin" / "dbt"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    target = tmp_path_factory.mktemp("manifest")
    env = {**os.environ, "SPF_DUCKDB_PATH": str(target / "parse.duckdb")}
    result = subprocess.run(
        [str(DBT), "parse", "--quiet", "--target-path", str(target), "--log-path", str(target)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return Project(json.loads((target / "manifest.json").read_text()))


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_finds_nothing(project: Project, name: str) -> None:
    assert RULES[name](project) == []


def test_the_rules_catch_what_they_are_for() -> None:
    """A made-up manifest breaking three rules: each of them reports it."""
    model = {
        "resource_type": "model", "package_name": "p", "name": "orders",
        "unique_id": "model.p.orders", "original_file_path": "models/marts/orders.sql",
        "depends_on": {"nodes": ["source.p.raw.orders"]}, "raw_code": "select * from raw.orders",
        "description": "", "columns": {}, "config": {"materialized": "table",
                                                     "contract": {"enforced": False}},
        "access": "public",
    }  # fmt: skip
    source = {
        "package_name": "p", "schema": "raw", "identifier": "orders", "source_name": "raw",
        "original_file_path": "models/sources.yml", "description": "", "source_description": "",
    }  # fmt: skip
    broken = Project(
        {
            "metadata": {"project_name": "p"},
            "nodes": {"model.p.orders": model},
            "sources": {"source.p.raw.orders": source},
            "exposures": {},
        }
    )
    for name in (
        "fct_marts_or_intermediate_dependent_on_source",
        "fct_hard_coded_references",
        "fct_model_naming_conventions",
        "fct_missing_primary_key_tests",
        "fct_public_models_without_contract",
        "fct_source_directories",
    ):
        assert RULES[name](broken), name
