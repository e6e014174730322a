"""dbt-project-evaluator's rules, applied to this project's manifest (dbt Hub, which ships the
package, is out of reach here). Each rule returns its findings, as the package's `fct_*` models
do: an empty list is a pass. Thresholds are the package's defaults; model types `rpt_` (reports)
and `ml_` (ML features) are added to its default prefixes, as the project's naming says.

Exceptions are data, with their reason (the package's `dbt_project_evaluator_exceptions` seed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MODEL_TYPES = {  # directory -> allowed prefixes
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "rpt_", "ml_"),
}
MODELS_FANOUT_THRESHOLD = 3
TOO_MANY_JOINS_THRESHOLD = 7
CHAINED_VIEWS_THRESHOLD = 4
EXCEPTIONS = {
    # the time spine MetricFlow needs is generated, not read: it has no parent by nature
    ("fct_root_models", "dim_dates"),
    # int_students_featured is the one accepted, encoded, featured student that every mart reads
    # (issue: one intermediate model instead of repeated joins); its children are marts, not leaves
    ("fct_model_fanout", "int_students_featured"),
    # the findings' one grouping pass, read by one thin mart per question (issue: findings as
    # one long grouping model plus the thin per-question marts BI needs)
    ("fct_model_fanout", "int_exam_score_groups"),
    # a load's profile is recorded with its row of history.loads, whose freshness stands for
    # both (the profile has no time of its own)
    ("fct_sources_without_freshness", "source.student_performance.history.load_profiles"),
}


@dataclass(frozen=True)
class Project:
    manifest: dict[str, Any]

    @property
    def models(self) -> dict[str, dict]:
        return {
            node["name"]: node
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model" and node["package_name"] == self.package
        }

    @property
    def package(self) -> str:
        return self.manifest["metadata"]["project_name"]

    @property
    def sources(self) -> dict[str, dict]:
        return {
            uid: node
            for uid, node in self.manifest["sources"].items()
            if node["package_name"] == self.package
        }

    @property
    def tests(self) -> list[dict]:
        return [
            node
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "test" and node["package_name"] == self.package
        ]

    def parents(self, model: dict) -> list[str]:
        return model["depends_on"]["nodes"]

    def layer(self, model: dict) -> str:
        return model["original_file_path"].split("/")[1]

    def children(self, uid: str) -> list[str]:
        return [node["unique_id"] for node in self.models.values() if uid in self.parents(node)]


Rule = Callable[[Project], list[str]]
RULES: dict[str, Rule] = {}


def rule(function: Rule) -> Rule:
    RULES[function.__name__] = lambda project: [
        finding
        for finding in function(project)
        if (function.__name__, finding.split(":")[0]) not in EXCEPTIONS
    ]
    return function


def _source_parents(project: Project, model: dict) -> list[str]:
    return [p for p in project.parents(model) if p.startswith("source.")]


def _model_parents(project: Project, model: dict) -> list[str]:
    return [p for p in project.parents(model) if p.startswith("model.")]


# -- modeling -------------------------------------------------------------------------------


@rule
def fct_direct_join_to_source(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if _source_parents(project, model) and _model_parents(project, model)
    ]


@rule
def fct_marts_or_intermediate_dependent_on_source(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if project.layer(model) != "staging" and _source_parents(project, model)
    ]


@rule
def fct_duplicate_sources(project: Project) -> list[str]:
    seen: dict[str, str] = {}
    duplicates = []
    for uid, source in project.sources.items():
        relation = f"{source['schema']}.{source['identifier']}".lower()
        if relation in seen:
            duplicates.append(f"{uid} and {seen[relation]}")
        seen[relation] = uid
    return duplicates


HARD_CODED = re.compile(r"\b(from|join)\s+(?![({])[\"`]?\w+[\"`]?\.[\"`]?\w+", re.IGNORECASE)


@rule
def fct_hard_coded_references(project: Project) -> list[str]:
    findings = []
    for name, model in project.models.items():
        code = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", model["raw_code"], flags=re.DOTALL)
        code = re.sub(r"--.*", "", code)
        if HARD_CODED.search(code):
            findings.append(name)
    return findings


@rule
def fct_model_fanout(project: Project) -> list[str]:
    findings = []
    for name, model in project.models.items():
        leaves = [
            child
            for child in project.children(model["unique_id"])
            if not project.children(child)
            and project.layer(project.manifest["nodes"][child]) == "marts"
        ]
        if len(leaves) > MODELS_FANOUT_THRESHOLD and project.layer(model) != "marts":
            findings.append(f"{name}: {len(leaves)} leaf children")
    return findings


@rule
def fct_multiple_sources_joined(project: Project) -> list[str]:
    return [n for n, m in project.models.items() if len(_source_parents(project, m)) > 1]


@rule
def fct_rejoining_of_upstream_concepts(project: Project) -> list[str]:
    findings = []
    for name, model in project.models.items():
        parents = set(_model_parents(project, model))
        for parent in parents:
            for grandparent in _model_parents(project, project.manifest["nodes"][parent]):
                only_child = project.children(parent) == [model["unique_id"]]
                if grandparent in parents and only_child:
                    findings.append(f"{name}: {grandparent} -> {parent} -> {name}")
    return findings


@rule
def fct_root_models(project: Project) -> list[str]:
    return [n for n, m in project.models.items() if not project.parents(m)]


@rule
def fct_source_fanout(project: Project) -> list[str]:
    return [uid for uid in project.sources if len(project.children(uid)) > 1]


@rule
def fct_staging_dependent_on_staging(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if project.layer(model) == "staging"
        and any(
            project.layer(project.manifest["nodes"][p]) == "staging"
            for p in _model_parents(project, model)
        )
    ]


@rule
def fct_staging_dependent_on_marts_or_intermediate(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if project.layer(model) == "staging"
        and any(
            project.layer(project.manifest["nodes"][p]) in ("intermediate", "marts")
            for p in _model_parents(project, model)
        )
    ]


@rule
def fct_unused_sources(project: Project) -> list[str]:
    return [uid for uid in project.sources if not project.children(uid)]


@rule
def fct_too_many_joins(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if len(project.parents(model)) > TOO_MANY_JOINS_THRESHOLD
    ]


# -- testing --------------------------------------------------------------------------------


def _tests_of(project: Project, uid: str) -> list[dict]:
    return [t for t in project.tests if t.get("attached_node") == uid]


@rule
def fct_missing_primary_key_tests(project: Project) -> list[str]:
    findings = []
    for name, model in project.models.items():
        tests = _tests_of(project, model["unique_id"])
        by_column: dict[str, set[str]] = {}
        for test in tests:
            metadata = test.get("test_metadata") or {}
            by_column.setdefault(test.get("column_name") or "", set()).add(metadata.get("name"))
        has_key = any({"unique", "not_null"} <= kinds for kinds in by_column.values()) or any(
            (t.get("test_metadata") or {}).get("name") in ("unique_combination", "row_count_is")
            for t in tests
        )
        if not has_key:
            findings.append(name)
    return findings


@rule
def fct_test_coverage(project: Project) -> list[str]:
    return [n for n, m in project.models.items() if not _tests_of(project, m["unique_id"])]


@rule
def fct_sources_without_freshness(project: Project) -> list[str]:
    findings = []
    for uid, source in project.sources.items():
        freshness = source.get("freshness") or {}
        if not (freshness.get("warn_after") or {}).get("count") and not (
            freshness.get("error_after") or {}
        ).get("count"):
            findings.append(uid)
    return findings


# -- documentation --------------------------------------------------------------------------


@rule
def fct_undocumented_models(project: Project) -> list[str]:
    return [n for n, m in project.models.items() if not m["description"].strip()]


@rule
def fct_documentation_coverage(project: Project) -> list[str]:
    return [
        f"{name}.{column}"
        for name, model in project.models.items()
        if project.layer(model) == "marts"
        for column, spec in model["columns"].items()
        if not spec["description"].strip()
    ]


@rule
def fct_undocumented_source_tables(project: Project) -> list[str]:
    return [uid for uid, s in project.sources.items() if not s["description"].strip()]


@rule
def fct_undocumented_sources(project: Project) -> list[str]:
    return [uid for uid, s in project.sources.items() if not s["source_description"].strip()]


# -- structure ------------------------------------------------------------------------------


@rule
def fct_model_naming_conventions(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if not name.startswith(MODEL_TYPES.get(project.layer(model), ("",)))
    ]


@rule
def fct_model_directories(project: Project) -> list[str]:
    findings = []
    for name, model in project.models.items():
        parts = model["original_file_path"].split("/")
        layer = next((k for k, v in MODEL_TYPES.items() if name.startswith(v)), None)
        if layer != parts[1]:
            findings.append(f"{name}: in {'/'.join(parts[:-1])}")
        elif layer == "staging":  # staging/<source>/stg_<source>__...
            source = name[len("stg_") :].split("__")[0]
            if len(parts) < 4 or parts[2] != source:
                findings.append(f"{name}: not in models/staging/{source}/")
    return findings


@rule
def fct_source_directories(project: Project) -> list[str]:
    return [
        uid
        for uid, source in project.sources.items()
        if not source["original_file_path"].startswith(f"models/staging/{source['source_name']}/")
    ]


@rule
def fct_test_directories(project: Project) -> list[str]:
    findings = []
    for test in project.tests:
        attached = test.get("attached_node")
        if not attached or attached not in project.manifest["nodes"]:
            continue
        model_dir = project.manifest["nodes"][attached]["original_file_path"].rsplit("/", 1)[0]
        test_dir = test["original_file_path"].rsplit("/", 1)[0]
        if test["original_file_path"].endswith(".yml") and test_dir != model_dir:
            findings.append(f"{test['name']}: in {test_dir}, its model in {model_dir}")
    return findings


# -- performance ----------------------------------------------------------------------------


def _is_view(node: dict) -> bool:
    return node["config"]["materialized"] in ("view", "ephemeral")


@rule
def fct_chained_views_dependencies(project: Project) -> list[str]:
    def depth(uid: str) -> int:
        node = project.manifest["nodes"].get(uid)
        if not node or node["resource_type"] != "model" or not _is_view(node):
            return 0
        return 1 + max((depth(p) for p in node["depends_on"]["nodes"]), default=0)

    return [
        name
        for name, model in project.models.items()
        if depth(model["unique_id"]) > CHAINED_VIEWS_THRESHOLD
    ]


def _exposures(project: Project) -> list[dict]:
    return [
        e for e in project.manifest["exposures"].values() if e["package_name"] == project.package
    ]


@rule
def fct_exposure_parents_materializations(project: Project) -> list[str]:
    findings = []
    for exposure in _exposures(project):
        for parent in exposure["depends_on"]["nodes"]:
            node = project.manifest["nodes"].get(parent)
            if parent.startswith("source.") or (node and _is_view(node)):
                findings.append(f"{exposure['name']}: {parent}")
    return findings


# -- governance -----------------------------------------------------------------------------


@rule
def fct_public_models_without_contract(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if model.get("access") == "public" and not model["config"]["contract"]["enforced"]
    ]


@rule
def fct_undocumented_public_models(project: Project) -> list[str]:
    return [
        name
        for name, model in project.models.items()
        if model.get("access") == "public"
        and (
            not model["description"].strip()
            or any(not c["description"].strip() for c in model["columns"].values())
        )
    ]


@rule
def fct_exposures_dependent_on_private_models(project: Project) -> list[str]:
    findings = []
    for exposure in _exposures(project):
        for parent in exposure["depends_on"]["nodes"]:
            node = project.manifest["nodes"].get(parent)
            if parent.startswith("source.") or (node and node.get("access") != "public"):
                findings.append(f"{exposure['name']}: {parent}")
    return findings
