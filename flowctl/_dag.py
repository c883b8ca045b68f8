"""Pure pieces of workflow semantics shared by runners: order, bindings, conditions, map items.

No I/O and no clock: given a workflow spec and the outputs known so far, these functions say what a
binding's value is, which arm of a conditional runs, and how a map node splits into items. The
remote controller (``flowctl.engine``) uses them; an in-process runner can too, so both runners
give the same answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowctl.spec import (
    WORKFLOW_INPUTS_NODE,
    Binding,
    BranchCaseSpec,
    BranchSpec,
    ComparisonSpec,
    Condition,
    InterfaceSpec,
    Json,
    ListBinding,
    LiteralBinding,
    MapBinding,
    NodeSpec,
    PromiseBinding,
    WorkflowSpec,
)

Outputs = Mapping[str, Mapping[str, Json]]  # node id ("start" for the workflow inputs) -> its outputs


class Unresolved(Exception):
    """A binding refers to an output that is not known (yet)."""


def topological_order(workflow: WorkflowSpec) -> list[NodeSpec]:
    """The nodes with every node after its upstream nodes (the spec order when it already is)."""
    by_id = {n.id: n for n in workflow.nodes}
    seen: set[str] = set()
    order: list[NodeSpec] = []

    def visit(node: NodeSpec, path: tuple[str, ...]) -> None:
        if node.id in seen:
            return
        if node.id in path:
            raise ValueError(f"cycle through node {node.id} in workflow {workflow.name}")
        for up in dependencies(node):
            if up in by_id:
                visit(by_id[up], (*path, node.id))
        seen.add(node.id)
        order.append(node)

    for node in workflow.nodes:
        visit(node, ())
    return order


def dependencies(node: NodeSpec) -> set[str]:
    """Every node ``node`` waits for: ``upstream`` plus the nodes its bindings read."""
    found = set(node.upstream)
    for binding in node.inputs.values():
        found |= _binding_nodes(binding)
    if node.branch is not None:
        for case in node.branch.cases:
            if case.condition is not None:
                found |= _condition_nodes(case.condition)
            if case.node is not None:
                for binding in case.node.inputs.values():
                    found |= _binding_nodes(binding)
    found.discard(WORKFLOW_INPUTS_NODE)
    found.discard(node.id)
    return found


def _binding_nodes(binding: Binding) -> set[str]:
    if isinstance(binding, PromiseBinding):
        return {binding.node}
    if isinstance(binding, ListBinding):
        return set().union(*(_binding_nodes(b) for b in binding.items)) if binding.items else set()
    if isinstance(binding, MapBinding):
        return set().union(*(_binding_nodes(b) for b in binding.items.values())) if binding.items else set()
    return set()


def _condition_nodes(condition: Condition) -> set[str]:
    if isinstance(condition, ComparisonSpec):
        return _binding_nodes(condition.left) | (_binding_nodes(condition.right) if condition.right else set())
    return _condition_nodes(condition.left) | _condition_nodes(condition.right)


def resolve(binding: Binding, outputs: Outputs) -> Json:
    """The value of ``binding`` given the outputs known so far; raises Unresolved."""
    if isinstance(binding, LiteralBinding):
        return binding.value
    if isinstance(binding, PromiseBinding):
        node_outputs = outputs.get(binding.node)
        if node_outputs is None or binding.output not in node_outputs:
            raise Unresolved(f"{binding.node}.{binding.output}")
        return node_outputs[binding.output]
    if isinstance(binding, ListBinding):
        return [resolve(b, outputs) for b in binding.items]
    return {k: resolve(b, outputs) for k, b in binding.items.items()}


def resolve_inputs(bindings: Mapping[str, Binding], outputs: Outputs, interface: InterfaceSpec | None = None) -> dict[str, Json]:
    """Resolve every binding; inputs of ``interface`` left unbound get their defaults."""
    values = {name: resolve(b, outputs) for name, b in bindings.items()}
    if interface is not None:
        for spec in interface.inputs:
            if spec.name not in values and spec.has_default:
                values[spec.name] = spec.default
    return values


def evaluate(condition: Condition, outputs: Outputs) -> bool:
    """Evaluate a conditional's condition."""
    if isinstance(condition, ComparisonSpec):
        left = resolve(condition.left, outputs)
        if condition.op == "is_true":
            return bool(left)
        if condition.op == "is_none":
            return left is None
        right = resolve(condition.right, outputs) if condition.right is not None else None
        return _compare(condition.op, left, right)
    if condition.op == "and":
        return evaluate(condition.left, outputs) and evaluate(condition.right, outputs)
    return evaluate(condition.left, outputs) or evaluate(condition.right, outputs)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def choose_case(branch: BranchSpec, outputs: Outputs) -> tuple[int, BranchCaseSpec] | None:
    """The first case whose condition holds (``else`` has none); None when no case applies."""
    for index, case in enumerate(branch.cases):
        if case.condition is None or evaluate(case.condition, outputs):
            return index, case
    return None


def branch_outputs(node: NodeSpec, case_outputs: Mapping[str, Json]) -> dict[str, Json]:
    """A conditional's outputs from its arm's: by name, else by position."""
    names = [o.name for o in node.outputs]
    if all(n in case_outputs for n in names):
        return {n: case_outputs[n] for n in names}
    return dict(zip(names, case_outputs.values(), strict=False))


def map_items(inputs: Mapping[str, Json], target: InterfaceSpec) -> list[dict[str, Json]]:
    """Split a map node's inputs into one input dict per item.

    An input is mapped when its value is a list and the task takes a non-list there (or a list
    of lists is given for a list input); other inputs are passed to every item unchanged.
    Mapped lists must have equal lengths.
    """
    mapped: dict[str, list[Json]] = {}
    fixed: dict[str, Json] = {}
    for name, value in inputs.items():
        spec = target.input(name)
        takes_list = spec is not None and spec.type.kind == "list"
        if isinstance(value, list) and (not takes_list or all(isinstance(v, list) for v in value)):
            mapped[name] = value
        else:
            fixed[name] = value
    lengths = {len(v) for v in mapped.values()}
    if len(lengths) > 1:
        raise ValueError(f"mapped inputs have different lengths: { {k: len(v) for k, v in mapped.items()} }")
    count = lengths.pop() if lengths else 0
    return [{**fixed, **{k: v[i] for k, v in mapped.items()}} for i in range(count)]


def collect_map_outputs(names: Sequence[str], items: Sequence[Mapping[str, Json] | None]) -> dict[str, Json]:
    """A map node's outputs: one list per output, ``None`` for items that failed."""
    return {n: [(item or {}).get(n) if item is not None else None for item in items] for n in names}
