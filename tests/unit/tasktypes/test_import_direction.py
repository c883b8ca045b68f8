"""Imports between the attempt runtime, the local runner and ``@dynamic`` point one way (DESIGN.md:
no import cycles): ``_execute`` -> ``tasktypes._dynamic`` -> ``_runtime`` <- ``_local._runner``.

Every import counts, also those inside functions (a lazy import is still a dependency); only the
type checker's (``if TYPE_CHECKING:``) do not."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

MODULES = ("flowctl._runtime", "flowctl._local._runner", "flowctl.tasktypes._dynamic", "flowctl._execute")


def _imports(module: str) -> set[str]:
    """The modules of MODULES that ``module`` imports at run time."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    for node in ast.walk(tree):  # drop the type checker's imports
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {name for name in names if name in MODULES and name != module}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module):], module]
        for target in sorted(graph[module]):
            found = visit(target, [*path, module])
            if found:
                return found
        return None

    for module in graph:
        found = visit(module, [])
        if found:
            return found
    return None


def test_the_cycle_finder_sees_a_cycle() -> None:  # the check below can fail
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_runtime_runner_and_dynamic_import_one_way() -> None:
    graph = {module: _imports(module) for module in MODULES}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])
    assert graph["flowctl._runtime"] == set()  # the bottom: it runs a python task and nothing else
