"""`flowctl promote`: the partial desired state, its gates (flags and the manifests' own), approvals."""

from __future__ import annotations

import pytest
from plan_memstore import MemStore
from plan_specs import NOW, desired, promote_workflow, register_workflow, scale_tasks, scale_workflow

from flowctl._errors import PlanError
from flowctl.plans import (
    Action,
    ApplyIdentity,
    PlanMode,
    PromotionState,
    apply_plan,
    compute_plan,
    promotion_desired_state,
)
from flowctl.plans._promote import declared_gates, with_approvals
from flowctl.spec import PromotionGates
from flowctl.state import ApprovalRecord

P = "my-ml-project"
WF = "flows.standard_scale_workflow"
ME = ApplyIdentity("a", "h", "a@h:1")


def staged() -> MemStore:
    store = MemStore()
    state = desired(register_workflow(P, "staging", scale_workflow(), scale_tasks(), "v7"))
    apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    return store


def test_promotion_copies_what_the_source_runs_without_deactivating():
    store = staged()
    state = promotion_desired_state(store.snapshot(), P, "staging", "production")
    plan = compute_plan(state, store.snapshot(), now=NOW, mode=PlanMode.PROMOTE)
    registers = [c for c in plan.visible_changes if c.action is Action.REGISTER]
    assert len(registers) == 5 and all(c.note == "promoted from staging (identical digest)" for c in registers)
    assert all(c.address.startswith(f"{P}/production/") for c in plan.visible_changes)


def test_nothing_to_promote_and_unknown_entity():
    with pytest.raises(PlanError, match="Nothing to promote"):
        promotion_desired_state(MemStore().snapshot(), P, "staging", "production")
    with pytest.raises(PlanError, match="`nope` is not registered") as info:
        promotion_desired_state(staged().snapshot(), P, "staging", "production", entities=["nope"])
    assert WF in str(info.value)  # says what the source runs


def test_an_entity_may_be_named_by_its_launch_plan():
    state = promotion_desired_state(staged().snapshot(), P, "staging", "production", entities=[WF])
    assert [r.name for r in state.registrations] == [WF]


def test_success_gate_counts_succeeded_executions_of_the_promoted_version():
    store = staged()
    store.data.successes[(P, "staging", WF, "v7")] = 1
    store.data.successes[(P, "staging", WF, "v6")] = 5  # another version does not count
    for required, state in ((1, PromotionState.MOVES), (2, PromotionState.HELD)):
        desired_state = promotion_desired_state(store.snapshot(), P, "staging", "production",
                                                default_gates=PromotionGates(require_successes=required))
        plan = compute_plan(desired_state, store.snapshot(), now=NOW, mode=PlanMode.PROMOTE)
        (step,) = plan.promotions
        assert step.state is state and step.gates[0].actual == "1 succeeded"
        assert plan.has_changes is (state is PromotionState.MOVES)


def test_promote_keeps_the_gates_the_manifest_declared_for_the_target():
    store = MemStore()
    regs, act = promote_workflow(P, "production", WF, "staging")
    manifest = desired(register_workflow(P, "staging", scale_workflow(), scale_tasks(), "v7"),
                       ([regs[0].model_copy(update={"gates": PromotionGates(require_approval=True)})], act))
    apply_plan(compute_plan(manifest, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    assert declared_gates(store.apply_history(), P, "staging", "production") == {
        WF: PromotionGates(require_approval=True)}
    state = promotion_desired_state(store.snapshot(), P, "staging", "production",
                                    gates=declared_gates(store.apply_history(), P, "staging", "production"),
                                    default_gates=PromotionGates(require_successes=0))
    plan = compute_plan(state, store.snapshot(), now=NOW, mode=PlanMode.PROMOTE)
    assert plan.held and not plan.has_changes
    approved = with_approvals(store.snapshot(), [ApprovalRecord(P, "production", "staging", WF, "v7", "bob", NOW)])
    assert compute_plan(state, approved, now=NOW, mode=PlanMode.PROMOTE).has_changes
