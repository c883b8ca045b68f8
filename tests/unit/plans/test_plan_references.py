"""reference_task / reference_launch_plan are resolved against the registry when the plan is made (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from plan_specs import FLOAT_LIST, NOW, desired, interface, register_workflow, task

from flowctl._address import EntityKind
from flowctl._errors import PlanError
from flowctl.plans import compute_plan
from flowctl.spec import NodeSpec, ReferenceSpec, TypeSpec, WorkflowSpec
from flowctl.state._interface import RegistrySnapshot, StoredEntity

SHARED = task("features.build")


def _workflow(reference_interface: object = None) -> WorkflowSpec:
    ref = ReferenceSpec(project="shared", domain="production", name="features.build", version="v12",
                        interface=reference_interface or SHARED.interface)  # type: ignore[arg-type]
    node = NodeSpec(id="n0", kind="task", target="features.build", reference=ref, source="flows.py:30")
    return WorkflowSpec(name="flows.uses_shared", interface=interface({"values": FLOAT_LIST}), nodes=(node,))


def _snapshot(*entities: StoredEntity) -> RegistrySnapshot:
    return RegistrySnapshot("lineage", 3, entities={(e.kind, e.project, e.domain, e.name, e.version): e for e in entities})


def _stored(spec_json: dict[str, object]) -> StoredEntity:
    return StoredEntity(EntityKind.TASK, "shared", "production", "features.build", "v12", "sha256:x", spec_json,
                        datetime(2026, 1, 1, tzinfo=UTC), "ana", "manual")


def test_a_missing_reference_fails_the_plan() -> None:
    state = desired(register_workflow("my-ml-project", "development", _workflow(), [], "v1"))
    with pytest.raises(PlanError, match=r"Reference task shared/production/task/features\.build@v12 is not registered") as info:
        compute_plan(state, _snapshot(), now=NOW)
    assert "flows.py:30" in str(info.value) and "@reference_task decorator" in str(info.value)


def test_a_registered_reference_with_its_interface_plans() -> None:
    state = desired(register_workflow("my-ml-project", "development", _workflow(), [], "v1"))
    plan = compute_plan(state, _snapshot(_stored(SHARED.to_json())), now=NOW)
    assert any("flows.uses_shared" in c.address for c in plan.changes)


def test_an_interface_mismatch_names_both_signatures() -> None:
    stub = interface({"values": FLOAT_LIST}, out=TypeSpec(kind="int"))
    state = desired(register_workflow("my-ml-project", "development", _workflow(stub), [], "v1"))
    with pytest.raises(PlanError, match="has another interface than the workflow expects") as info:
        compute_plan(state, _snapshot(_stored(SHARED.to_json())), now=NOW)
    assert "-> (o0: int)" in str(info.value) and "-> (o0: float)" in str(info.value)


def test_a_missing_reference_launch_plan_fails_the_plan() -> None:
    ref = ReferenceSpec(project="shared", domain="production", name="nightly", version="v3")
    node = NodeSpec(id="n0", kind="launch_plan", target="nightly", reference=ref, source="flows.py:40")
    wf = WorkflowSpec(name="flows.parent", interface=interface({"values": FLOAT_LIST}), nodes=(node,))
    state = desired(register_workflow("my-ml-project", "development", wf, [], "v1"))
    with pytest.raises(PlanError, match=r"Reference launch plan shared/production/launch_plan/nightly@v3 is not registered"):
        compute_plan(state, _snapshot(), now=NOW)
