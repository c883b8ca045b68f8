"""Workflows built from specs (no SDK, no bundle) for engine tests on FakeProvider: chains and fan-outs."""

from __future__ import annotations

from flowctl._address import EntityKind
from flowctl.spec import (
    CodeSpec,
    InputSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    NodeSpec,
    OutputSpec,
    ProjectSpec,
    PromiseBinding,
    TaskSpec,
    TypeSpec,
    WorkflowSpec,
)
from flowctl.state import open_store

INT = TypeSpec(kind="int")
P, D, V = "p", "development", "v1"
IFACE = InterfaceSpec(inputs=(InputSpec(name="x", type=INT),), outputs=(OutputSpec(name="o0", type=INT),))
TASK = TaskSpec(name="m.inc", interface=IFACE,
                code=CodeSpec(module="m", qualname="inc", source_file="m.py", source_line=1, code_digest="x"))


def task_node(node_id: str, source: str, output: str = "o0") -> NodeSpec:
    return NodeSpec(id=node_id, kind="task", target=TASK.name, inputs={"x": PromiseBinding(node=source, output=output)})


def chain(n: int) -> WorkflowSpec:
    nodes = [task_node("n0", "start", "x")] + [task_node(f"n{i}", f"n{i - 1}") for i in range(1, n)]
    return WorkflowSpec(name=f"chain{n}", interface=IFACE, nodes=tuple(nodes),
                        outputs={"o0": PromiseBinding(node=f"n{n - 1}", output="o0")}, tasks=(TASK.name,))


def fan(n: int) -> WorkflowSpec:
    """n independent nodes, then one that waits for all of them."""
    nodes = [task_node(f"f{i}", "start", "x") for i in range(n)]
    nodes.append(NodeSpec(id="join", kind="task", target=TASK.name, upstream=tuple(f"f{i}" for i in range(n)),
                          inputs={"x": PromiseBinding(node="f0", output="o0")}))
    return WorkflowSpec(name=f"fan{n}", interface=IFACE, nodes=tuple(nodes),
                        outputs={"o0": PromiseBinding(node="join", output="o0")}, tasks=(TASK.name,))


def register_specs(url: str, *workflows: WorkflowSpec, parallelism: int | None = None) -> None:
    store = open_store(url)
    with store.transaction() as tx:
        tx.upsert_project(ProjectSpec(name=P), managed_by="t")
        tx.register(EntityKind.TASK, P, D, TASK.name, V, TASK.to_json(), TASK.digest(), managed_by="t", created_by="t",
                    bundle_uri=None)
        for wf in workflows:
            lp = LaunchPlanSpec(name=wf.name, workflow=wf.name, max_parallelism=parallelism)
            for kind, spec in ((EntityKind.WORKFLOW, wf), (EntityKind.LAUNCH_PLAN, lp)):
                tx.register(kind, P, D, spec.name, V, spec.to_json(), spec.digest(), managed_by="t", created_by="t",
                            bundle_uri=None)
    store.close()
