"""The dbt project's definitions, read with dbt's own project loader: every threshold and
convention the warehouse defines once in `vars:` of dbt_project.yml (the raw columns and their
rules, the at-risk score, the anomaly margin, the statistics' alpha ...). Python (ml, insights,
the app) reads them here and never writes a second copy."""

from __future__ import annotations

from functools import cache
from typing import Any

from spf.profile import PROJECT_ROOT


@cache
def project_vars() -> dict[str, Any]:
    from dbt.config.project import load_raw_project

    return dict(load_raw_project(str(PROJECT_ROOT)).get("vars", {}))


def project_name() -> str:
    """The dbt project's name (dbt_project.yml `name:`), the first part of its nodes' ids."""
    from dbt.config.project import load_raw_project

    return str(load_raw_project(str(PROJECT_ROOT))["name"])


def var(name: str) -> Any:
    """One var of dbt_project.yml; KeyError names it when it is not defined."""
    values = project_vars()
    if name not in values:
        raise KeyError(f"vars.{name} is not defined in dbt_project.yml")
    return values[name]
