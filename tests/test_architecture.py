"""The Python layers import downwards only, and no module imports itself back through others.

    spf (core)  <  ml  <  insights  <  pipeline  <  app  <  orchestration

(spf holds paths, definitions, warehouse access and dbt invocation; orchestration, the Dagster
code location, is on top: nothing imports it.) Checked on the source,
so a lazy import inside a function counts as much as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

LAYERS = {"spf": 0, "ml": 1, "insights": 2, "pipeline": 3, "app": 4, "orchestration": 5}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports() -> dict[str, set[str]]:
    """Every project module and the project modules it imports."""
    modules = {
        _module_name(path): path
        for package in LAYERS
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            found |= {target for target in targets if target in modules and target != name}
        graph[name] = found
    return graph


def test_layers_import_downwards_only() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in project_imports().items()
        for target in targets
        if LAYERS[target.split(".")[0]] > LAYERS[module.split(".")[0]]
    ]
    assert not upward, upward


def test_the_layer_check_sees_imports_inside_functions() -> None:
    graph = project_imports()
    # pipeline.job imports ml.train inside Job.train: the walker must see it
    assert "ml.train" in graph["pipeline.job"]


def test_no_module_imports_itself_back() -> None:
    graph = project_imports()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for target in graph[module]:
            if target in path:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif len(path) < 12:
                visit(target, [*path, target])

    for module in graph:
        visit(module, [module])
    assert not cycles, sorted(set(cycles))[:5]
