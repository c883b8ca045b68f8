"""The ready set of one (sub)workflow walk inside a pass: which nodes to drive next.

A pass iterates poll -> walk -> write -> submit while it makes progress. Re-driving every node on
every iteration made a chain of n nodes cost n²/2 drives; a ``ReadySet`` instead remembers, for the
length of one pass, the outcome of every settled node (succeeded, failed, skipped) and how many
unsettled upstream nodes each node still waits for. The frontier holds the nodes whose upstream
nodes are all settled and that are not settled themselves: ready or running. A walk drives the
frontier in dependency order; a node settling puts the dependents it releases on the frontier of
the same walk. A running node is driven again only when something under it changed (``hot``).

Settled outcomes never change during a pass: node rows only move forward, and only the claim
holder writes them. A new pass starts from the rows again, so nothing here needs to be durable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from flowctl.spec import Json, NodeSpec, WorkflowSpec

Settled = Literal["succeeded", "failed", "skipped"]


def with_ancestors(node_ids: Iterable[str]) -> set[str]:
    """Each id and every enclosing node id: ``a/b[3]/c`` -> ``a``, ``a/b``, ``a/b[3]``, ``a/b[3]/c``."""
    found: set[str] = set()
    for node_id in node_ids:
        found.add(node_id)
        for i, char in enumerate(node_id):
            if char in "/[":
                found.add(node_id[:i])
    return found


class ReadySet:
    """See the module docstring. Nodes are referred to by their position in the plan."""

    def __init__(self, wf: WorkflowSpec, plan: list[tuple[NodeSpec, frozenset[str]]],
                 inputs: dict[str, Json]) -> None:
        self.wf = wf
        self.nodes = [node for node, _ in plan]
        index = {node.id: i for i, node in enumerate(self.nodes)}
        self.dependents: list[list[int]] = [[] for _ in self.nodes]
        self.waiting: list[int] = [0] * len(self.nodes)
        for i, (_, deps) in enumerate(plan):
            for dep in deps:
                j = index.get(dep)
                if j is not None:  # the workflow inputs and unknown names do not wait
                    self.dependents[j].append(i)
                    self.waiting[i] += 1
        self.known: dict[str, dict[str, Json]] = {"start": inputs}
        self.settled: dict[int, Settled] = {}
        self.errors: dict[int, dict[str, Json] | None] = {}
        self.frontier: set[int] = {i for i, count in enumerate(self.waiting) if count == 0}
        self.driven: set[int] = set()  # frontier nodes driven at least once in this pass

    def to_drive(self, prefix: str, hot: set[str]) -> list[int]:
        """The frontier nodes a walk drives: those not driven yet in this pass, and the hot ones."""
        return [i for i in self.frontier if i not in self.driven or prefix + self.nodes[i].id in hot]

    def settle(self, i: int, phase: Literal["succeeded", "failed"], outputs: dict[str, Json],
               error: dict[str, Json] | None) -> list[int]:
        """Record node ``i``'s outcome; returns the dependents it makes ready.

        A failed node skips everything downstream of it at once (as the dependents of a skipped
        node are skipped), whatever their other upstream nodes do.
        """
        self._settle(i, phase)
        if phase == "failed":
            self.errors[i] = error
            self._skip_below(i)
            return []
        self.known[self.nodes[i].id] = outputs
        released = []
        for j in self.dependents[i]:
            self.waiting[j] -= 1
            if self.waiting[j] == 0 and j not in self.settled:
                self.frontier.add(j)
                released.append(j)
        return released

    def _settle(self, i: int, phase: Settled) -> None:
        self.settled[i] = phase
        self.frontier.discard(i)

    def _skip_below(self, i: int) -> None:
        stack = list(self.dependents[i])
        while stack:
            j = stack.pop()
            if j not in self.settled:
                self._settle(j, "skipped")
                stack.extend(self.dependents[j])

    @property
    def running(self) -> bool:
        return bool(self.frontier)

    @property
    def first_error(self) -> dict[str, Json] | None:
        """The error of the failed node first in dependency order (None when none failed)."""
        return self.errors[min(self.errors)] if self.errors else None

    @property
    def failed(self) -> bool:
        return bool(self.errors)
