"""No import cycles anywhere in flowctl (DESIGN.md, STYLE.md 1: imports point one way).

The graph has one node per module of the ``flowctl`` package, ``flowctl.state``, ``flowctl.plans`` and
``flowctl.providers`` included (symbolic links to the top-level folders), and one edge per import
of another of them. Every import counts, also those inside functions (a lazy import is still a
dependency) and ``importlib.import_module("flowctl...")`` with a literal name; only the type
checker's (``if TYPE_CHECKING:``) do not. A package's ``__init__`` running before its modules is
not an edge (else every package with re-exports would be a cycle). A strongly connected component
of more than one module is a cycle, reported with the file lines that close it.
"""

from __future__ import annotations

import ast
import os
from collections import deque
from itertools import pairwise
from pathlib import Path

import flowctl

ROOT = Path(flowctl.__file__).parent

# Cycles that may remain, each as the sorted modules of its component, with why and who unties it.
# Empty: there is none left; a new cycle fails this test, and so does an entry here that no longer is one.
ALLOWED: frozenset[tuple[str, ...]] = frozenset()

Graph = dict[str, dict[str, int]]  # module -> {imported module: line of the first import}


def _modules(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (the flowctl package folder), symbolic links followed."""
    found: dict[str, Path] = {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if (Path(folder) / d / "__init__.py").exists())
        package = Path(folder).relative_to(root.parent).parts
        for name in files:
            if name.endswith(".py"):
                parts = package if name == "__init__.py" else (*package, name[:-3])
                found[".".join(parts)] = Path(folder) / name
    return found


def _runtime_tree(source: str) -> ast.Module:
    """``source`` parsed, the bodies of ``if TYPE_CHECKING:`` blocks removed."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
            if name == "TYPE_CHECKING":
                node.body = []
    return tree


def imports_of(source: str, module: str, *, is_package: bool, known: set[str]) -> dict[str, int]:
    """The modules of ``known`` that ``module`` imports at run time, with the line of the first import."""
    names: list[tuple[str, int]] = []
    for node in ast.walk(_runtime_tree(source)):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            for alias in node.names:  # `from pkg import mod` imports pkg.mod; `from mod import name`, mod
                names.append((f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called == "import_module" and isinstance(node.args[0].value, str):
                names.append((node.args[0].value, node.lineno))
    found: dict[str, int] = {}
    for name, line in names:
        while name and name not in known:  # `import a.b.c` of a name inside module a.b: a.b
            name = name.rpartition(".")[0]
        if name and name != module:
            found[name] = min(line, found.get(name, line))
    return found


def import_graph(root: Path = ROOT) -> Graph:
    modules = _modules(root)
    known = set(modules)
    return {
        module: imports_of(path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py", known=known)
        for module, path in modules.items()
    }


def components(graph: Graph) -> list[tuple[str, ...]]:
    """The strongly connected components of more than one module (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            target = next((t for t in targets if t in graph), None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(tuple(sorted(members)))
    return sorted(found)


def describe(graph: Graph, component: tuple[str, ...]) -> str:
    """One shortest cycle through the component's first module, as the import lines that make it."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node != start and start in graph[node]:
            path = [node]
            while path[-1] != start:
                path.append(came_from[path[-1]])
            path.reverse()
            steps = [*path, start]
            edges = [f"{a} (line {graph[a][b]}) imports {b}" for a, b in pairwise(steps)]
            more = f"; the component also holds {', '.join(sorted(members - set(path)))}" if members - set(path) else ""
            return "\n  ".join([f"{len(component)} modules: " + " -> ".join(steps) + more, *edges])
        for target in sorted(graph[node]):
            if target in members and target not in came_from and target != start:
                came_from[target] = node
                queue.append(target)
    raise AssertionError(f"{component} is not a cycle")  # pragma: no cover - components() found one


def test_the_finder_sees_cycles_and_describes_them() -> None:  # the checks below can fail
    graph: Graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7, "d": 1}, "d": {}, "e": {"f": 1}, "f": {"e": 2}}
    assert components(graph) == [("a", "b", "c"), ("e", "f")]
    assert describe(graph, ("a", "b", "c")).splitlines()[0] == "3 modules: a -> b -> c -> a"
    assert "c (line 7) imports a" in describe(graph, ("a", "b", "c"))
    assert components({"a": {"b": 1}, "b": {}}) == []


def test_lazy_and_relative_imports_count_and_the_type_checkers_do_not() -> None:
    known = {"p", "p.a", "p.b", "p.c", "p.d", "p.e", "p.sub", "p.sub.x"}
    source = """
from typing import TYPE_CHECKING
import typing
from . import a
from .sub.x import thing
if TYPE_CHECKING:
    from p.c import C
if typing.TYPE_CHECKING:
    import p.e
def f():
    from p.b import helper
    return importlib.import_module("p.d")
"""
    assert imports_of(source, "p.y", is_package=False, known=known) == {"p.a": 4, "p.sub.x": 5, "p.b": 11, "p.d": 12}
    assert imports_of("from ..a import z\nfrom . import x", "p.sub.y", is_package=False, known=known) == {
        "p.a": 1, "p.sub.x": 2}
    assert imports_of("from . import x", "p.sub", is_package=True, known=known) == {"p.sub.x": 1}


def test_the_graph_covers_every_package_and_sees_known_imports() -> None:
    graph = import_graph()
    packages = {m.split(".")[1] for m in graph if m.count(".") >= 1}
    assert {"sdk", "tasktypes", "state", "plans", "providers", "engine", "cli", "server", "types"} <= packages
    assert "flowctl.state._signals" in graph["flowctl.state._executions"]  # through the symbolic link
    assert "flowctl.sdk._workflow" in graph["flowctl.sdk._compile"]


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = components(graph)
    new = [c for c in found if c not in ALLOWED]
    assert not new, "Import cycles (move what both sides need into a lower module, or invert the dependency):\n" + (
        "\n".join(describe(graph, c) for c in new))
    gone = sorted(ALLOWED - set(found))
    assert not gone, f"No longer cycles: remove them from ALLOWED: {gone}"
