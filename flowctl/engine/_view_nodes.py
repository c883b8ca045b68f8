"""An execution's nodes as a reader wants them: in the workflow's order (n2 before n10), with the
task each one runs, and map nodes summarised by item ("37/40 items succeeded, 3 failed").

Node ids are paths: ``n3`` (a node of the workflow), ``n2/n0`` (a node of subworkflow or branch
``n2``), ``n4[7]`` (item 7 of map node ``n4``). Pure functions of specs (their JSON) and records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flowctl.state._execution_records import NodeRecord

_ITEM = re.compile(r"^(?P<parent>.+)\[(?P<index>\d+)\]$")
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class NodeInfo:
    kind: str  # task, map, workflow, launch_plan, branch, gate (a map item: task)
    task: str  # what it runs: a task name, "workflow wf", "gate approve:ok", ...
    position: tuple[int, ...]  # the node's place in the workflow (and its subworkflows), in spec order


@dataclass(frozen=True)
class MapItems:
    total: int
    succeeded: int
    failed: list[int]  # indexes of failed (or timed-out) items
    running: int

    def text(self) -> str:
        """``37/40 items succeeded, 3 failed (items 4, 17, 22)``."""
        parts = [f"{self.succeeded}/{self.total} items succeeded"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed (item{'s' if len(self.failed) > 1 else ''} "
                         f"{', '.join(str(i) for i in self.failed)})")
        if self.running:
            parts.append(f"{self.running} running")
        return ", ".join(parts)


_KINDS = frozenset({"task", "workflow", "launch_plan", "branch", "map", "gate"})
Node = Mapping[str, Any]  # a NodeSpec as its JSON (``WorkflowSpec.to_json()``; a missing field has its default)


def _what(node: Node) -> str:
    reference, gate, branch = node.get("reference"), node.get("gate"), node.get("branch")
    kind, target = node["kind"], reference["name"] if reference is not None else node.get("target", "")
    if kind in ("task", "map"):
        return str(target)
    if kind == "gate" and gate is not None:
        return f"gate {gate['kind']}" + (f" {gate['name']}" if gate.get("name") else "")
    if kind == "branch" and branch is not None:
        return f"branch {branch['name']}"
    return f"{kind.replace('_', ' ')} {target}".strip()


def describe(workflow: Mapping[str, Any], subworkflow: Callable[[str], Mapping[str, Any] | None]) -> dict[str, NodeInfo]:
    """Every node id the workflow can produce (subworkflows via ``subworkflow(name)``), with its info.

    ``workflow`` is a WorkflowSpec's JSON as registered (a stored spec: no models are built to read it)."""
    found: dict[str, NodeInfo] = {}

    def walk(nodes: Iterable[Node], prefix: str, at: tuple[int, ...], depth: int) -> None:
        for index, node in enumerate(nodes):
            node_id, position = f"{prefix}{node['id']}", (*at, index)
            found[node_id] = NodeInfo(node["kind"], _what(node), position)
            if depth > 20:  # a recursive subworkflow: the ids stop making sense long before
                continue
            if node["kind"] == "workflow":
                child = subworkflow(node.get("target", ""))
                if child is not None:
                    walk(child["nodes"], f"{node_id}/", position, depth + 1)
            elif node["kind"] == "branch" and node.get("branch") is not None:
                for case_index, case in enumerate(node["branch"]["cases"]):
                    if case.get("node") is not None:
                        walk([case["node"]], f"{node_id}/", (*position, case_index), depth + 1)

    walk(workflow["nodes"], "", (), 0)
    return found


def is_workflow_json(spec: object) -> bool:
    """Whether ``spec`` has the fields :func:`describe` reads, of their types (a registered workflow
    does; a field left out has the model's default); anything else is validated by the spec model first."""
    return isinstance(spec, dict) and isinstance(spec.get("nodes"), list) and all(map(_is_node, spec["nodes"]))


def _is_node(node: object) -> bool:
    if not isinstance(node, dict) or not isinstance(node.get("id"), str) or node.get("kind") not in _KINDS:
        return False
    reference, gate, branch = node.get("reference"), node.get("gate"), node.get("branch")
    return (isinstance(node.get("target", ""), str)
            and (reference is None or (isinstance(reference, dict) and isinstance(reference.get("name"), str)))
            and (gate is None or (isinstance(gate, dict) and isinstance(gate.get("kind"), str)
                                  and isinstance(gate.get("name", ""), str)))
            and (branch is None or (isinstance(branch, dict) and isinstance(branch.get("name"), str)
                                    and isinstance(branch.get("cases"), list)
                                    and all(isinstance(case, dict)
                                            and (case.get("node") is None or _is_node(case["node"]))
                                            for case in branch["cases"]))))


def info_of(node_id: str, infos: Mapping[str, NodeInfo]) -> NodeInfo | None:
    """The info of a node id, map items included (they run their map node's task)."""
    if node_id in infos:
        return infos[node_id]
    item = _ITEM.match(node_id)
    parent = info_of(item["parent"], infos) if item else None
    if item is None or parent is None:
        return None
    return NodeInfo("task", f"{parent.task}[{item['index']}]", (*parent.position, int(item["index"])))


def _natural(node_id: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _NUMBER.split(node_id) if part)


def order_key(node_id: str, infos: Mapping[str, NodeInfo]) -> tuple[int, tuple[int, ...], tuple[tuple[int, int, str], ...]]:
    """Spec order for the nodes the spec knows, then the others by their ids' numbers (n2 before n10)."""
    info = info_of(node_id, infos)
    return (0, info.position, ()) if info is not None else (1, (), _natural(node_id))


def map_parent(node_id: str) -> str | None:
    item = _ITEM.match(node_id)
    return item["parent"] if item else None


def map_items(node_id: str, nodes: Mapping[str, NodeRecord]) -> MapItems:
    """How the items of map node ``node_id`` fared (from their node records)."""
    items = {int(m["index"]): n for k, n in nodes.items() if (m := _ITEM.match(k)) and m["parent"] == node_id}
    failed = sorted(i for i, n in items.items() if n.phase in ("failed", "timed_out"))
    return MapItems(total=len(items), succeeded=sum(1 for n in items.values() if n.phase == "succeeded"),
                    failed=failed, running=sum(1 for n in items.values() if n.phase in ("queued", "running")))
