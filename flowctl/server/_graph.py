"""Lay a workflow's DAG out for drawing: layered, left to right, edges as SVG curves.

Layer = the longest path from a node without dependencies; within a layer nodes are ordered by
the mean position of what they depend on (two sweeps), which keeps most edges short and straight.
Done once per workflow version on the server, so the browser only draws and colours.
"""

from __future__ import annotations

from flowctl._dag import dependencies, topological_order
from flowctl.server._models import GraphEdge, GraphNode, GraphOut
from flowctl.spec import NodeSpec, WorkflowSpec

NODE_WIDTH = 176.0
NODE_HEIGHT = 46.0
LAYER_GAP = 64.0
ROW_GAP = 16.0
MARGIN = 16.0


def layout(workflow: WorkflowSpec) -> GraphOut:
    nodes = topological_order(workflow)
    deps = {n.id: sorted(d for d in dependencies(n) if d != n.id) for n in nodes}
    layers = _layers(nodes, deps)
    rows = _order(layers, deps)
    placed = {
        node.id: GraphNode(
            id=node.id, kind=node.kind, target=node.target, label=_label(node),
            x=MARGIN + layers[node.id] * (NODE_WIDTH + LAYER_GAP), y=MARGIN + rows[node.id] * (NODE_HEIGHT + ROW_GAP),
            width=NODE_WIDTH, height=NODE_HEIGHT,
        )
        for node in nodes
    }
    edges = [GraphEdge(source=d, target=n, path=_curve(placed[d], placed[n]))
             for n, ds in deps.items() for d in ds if d in placed]
    width = max((p.x + p.width for p in placed.values()), default=0.0) + MARGIN
    height = max((p.y + p.height for p in placed.values()), default=0.0) + MARGIN
    return GraphOut(nodes=list(placed.values()), edges=edges, width=width, height=height)


def _layers(nodes: list[NodeSpec], deps: dict[str, list[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    for node in nodes:  # dependency order: every dependency is placed first
        layer[node.id] = 1 + max((layer[d] for d in deps[node.id] if d in layer), default=-1)
    return layer


def _order(layers: dict[str, int], deps: dict[str, list[str]]) -> dict[str, int]:
    """Row of each node within its layer (barycentre of its dependencies' rows)."""
    by_layer: dict[int, list[str]] = {}
    for node_id, number in layers.items():
        by_layer.setdefault(number, []).append(node_id)
    row = {node_id: float(i) for members in by_layer.values() for i, node_id in enumerate(members)}
    for _ in range(2):
        for number in sorted(by_layer):
            members = by_layer[number]
            members.sort(key=lambda n: (_mean([row[d] for d in deps[n] if d in row], row[n]), row[n]))
            row.update({node_id: float(i) for i, node_id in enumerate(members)})
    return {node_id: int(value) for node_id, value in row.items()}


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _label(node: NodeSpec) -> str:
    target = node.target.rsplit(".", 1)[-1] if node.target else (node.branch.name if node.branch else "")
    return target or node.id


def _curve(a: GraphNode, b: GraphNode) -> str:
    """A curve from ``a``'s right side to ``b``'s left; an edge that skips layers runs in the gap
    above the rows of its ends, so it never crosses the nodes of the layers in between."""
    x1, y1 = a.x + a.width, a.y + a.height / 2
    x2, y2 = b.x, b.y + b.height / 2
    if x2 - x1 <= LAYER_GAP + 1:
        bend = max(24.0, (x2 - x1) / 2)
        return f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    lane, bend = min(a.y, b.y) - ROW_GAP / 2, LAYER_GAP / 2
    return (f"M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x1 + bend:.0f},{lane:.0f} {x1 + LAYER_GAP:.0f},{lane:.0f} "
            f"L{x2 - LAYER_GAP:.0f},{lane:.0f} C{x2 - bend:.0f},{lane:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}")
