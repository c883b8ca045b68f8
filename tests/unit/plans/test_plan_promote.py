"""`flowctl promote`: the partial desired state, and the --require-successes gate."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from plan_memstore import MemStore
from plan_specs import NOW, desired, register_workflow, scale_tasks, scale_workflow

from flowctl._errors import PlanError
from flowctl.cli.cmd_promote import _check_successes
from flowctl.plans import Action, ApplyIdentity, PlanMode, apply_plan, compute_plan, promotion_desired_state

P = "my-ml-project"
WF = "flows.standard_scale_workflow"


def staged() -> MemStore:
    store = MemStore()
    state = desired(register_workflow(P, "staging", scale_workflow(), scale_tasks(), "v7"))
    apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ApplyIdentity("a", "h", "a@h:1"), now=NOW)
    return store


def test_promotion_copies_what_the_source_runs_without_deactivating():
    store = staged()
    state = promotion_desired_state(store.snapshot(), P, "staging", "production")
    plan = compute_plan(state, store.snapshot(), now=NOW, mode=PlanMode.PROMOTE)
    registers = [c for c in plan.visible_changes if c.action is Action.REGISTER]
    assert len(registers) == 5 and all(c.note == "promoted from staging (identical digest)" for c in registers)
    assert all(c.address.startswith(f"{P}/production/") for c in plan.visible_changes)


def test_nothing_to_promote_and_unknown_workflow():
    with pytest.raises(PlanError, match="Nothing to promote"):
        promotion_desired_state(MemStore().snapshot(), P, "staging", "production")
    with pytest.raises(PlanError, match="`nope` is not registered"):
        promotion_desired_state(staged().snapshot(), P, "staging", "production", workflow="nope")


@dataclass
class Execution:
    workflow_name: str
    workflow_version: str
    phase: str


class ExecutionsStore:
    def __init__(self, executions: list[Execution]) -> None:
        self.executions = executions

    def list_executions(self, project: str, domain: str, *, limit: int) -> list[Execution]:
        return self.executions


def test_success_gate_counts_succeeded_executions_of_the_promoted_version():
    state = promotion_desired_state(staged().snapshot(), P, "staging", "production")
    runs = [Execution(WF, "v7", "succeeded"), Execution(WF, "v7", "failed"), Execution(WF, "v6", "succeeded")]
    _check_successes(ExecutionsStore(runs), state, P, "staging", 1)
    with pytest.raises(PlanError, match="has 1 succeeded execution"):
        _check_successes(ExecutionsStore(runs), state, P, "staging", 2)
