"""References to entities registered elsewhere (``reference_task``/``reference_launch_plan``), checked.

A workflow node with a ``reference`` runs the entity at those coordinates, so the plan fails unless
the registry (or this same plan) has it, with the interface the workflow was written against.
Pure: reads the snapshot and the resolution, never the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import Diagnostic
from flowctl.spec import Json, ReferenceSpec
from flowctl.state._interface import RegistrySnapshot


def check_references(entities: dict[Any, Any], snapshot: RegistrySnapshot) -> list[Diagnostic]:
    """A diagnostic per reference that does not resolve, or resolves to another interface."""
    errors = []
    for entity in entities.values():
        if entity.kind != EntityKind.WORKFLOW:
            continue
        for node in _nodes(entity.spec.get("nodes") or []):
            if node.get("reference"):
                problem = _problem(node, ReferenceSpec.model_validate(node["reference"]), entities, snapshot)
                if problem:
                    errors.append(Diagnostic(problem[0], problem[1], source=str(node.get("source", "")),
                                             address=entity.address))
    return errors


def _nodes(nodes: list[dict[str, Json]]) -> Iterator[dict[str, Json]]:
    for node in nodes:
        yield node
        for case in (node.get("branch") or {}).get("cases", []):
            if case.get("node"):
                yield from _nodes([case["node"]])


def _problem(node: dict[str, Json], ref: ReferenceSpec, entities: dict[Any, Any],
             snapshot: RegistrySnapshot) -> tuple[str, str] | None:
    kind = EntityKind.TASK if node.get("kind") == "task" else EntityKind.LAUNCH_PLAN
    key = (kind, ref.project, ref.domain, ref.name, ref.version)
    where = f"{ref.project}/{ref.domain}/{kind.value}/{ref.name}@{ref.version}"
    planned = entities.get(key)
    stored = snapshot.entities.get(key)
    spec = planned.spec if planned is not None else stored.spec if stored is not None else None
    if spec is None:
        return (f"Reference {kind.value.replace('_', ' ')} {where} is not registered",
                "Register it first (in its own project), or fix project, domain, name and version in the "
                f"@reference_{kind.value} decorator.")
    if kind == EntityKind.LAUNCH_PLAN:
        return None  # its interface is its workflow's, checked when the child execution is created
    declared = ref.interface.to_json()
    actual = spec.get("interface") or {}
    if _shape(declared) != _shape(actual):
        from flowctl.plans._render_text import signature

        return (f"Reference task {where} has another interface than the workflow expects",
                f"The stub declares {signature(declared)}, the registry has {signature(actual)}. "
                "Update the stub's signature to the registered task.")
    return None


def _shape(interface: dict[str, Json]) -> tuple[Any, ...]:
    inputs = tuple((i["name"], str(i["type"])) for i in interface.get("inputs") or ())
    outputs = tuple((o["name"], str(o["type"])) for o in interface.get("outputs") or ())
    return inputs, outputs
