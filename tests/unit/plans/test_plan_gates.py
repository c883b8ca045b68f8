"""Promotion semantics: one step along the chain per apply, gates checked in plan and again in apply."""

from __future__ import annotations

from datetime import timedelta

import pytest
from plan_memstore import MemStore
from plan_specs import NOW, desired, promote_workflow, register_workflow, scale_tasks, scale_workflow

from flowctl.plans import (
    Action,
    ApplyIdentity,
    PromotionGateError,
    PromotionState,
    apply_plan,
    compute_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)
from flowctl.spec import PromotionGates
from flowctl.state import ApprovalRecord

P = "my-ml-project"
WF = scale_workflow().name
ME = ApplyIdentity("me", "host", "me@host:1")


def chain(version: str = "v1", body: str = "v1", gates: PromotionGates | None = None):
    prod_regs, prod_act = promote_workflow(P, "production", WF, "staging")
    if gates is not None:
        prod_regs = [prod_regs[0].model_copy(update={"gates": gates})]
    return desired(register_workflow(P, "development", scale_workflow(), scale_tasks(body), version),
                   promote_workflow(P, "staging", WF, "development"), (prod_regs, prod_act))


def active(store: MemStore, domain: str) -> str | None:
    record = store.snapshot().active_launch_plans.get((P, domain, WF))
    return record.version if record else None


def step(plan, domain: str):
    return next(s for s in plan.promotions if s.domain == domain)


def test_a_change_moves_one_domain_per_apply_and_the_plan_says_who_follows():
    store = MemStore()
    state = chain()
    seen = []
    for _ in range(3):
        plan = compute_plan(state, store.snapshot(), now=NOW)
        apply_plan(plan, store, identity=ME, now=NOW)
        seen.append((active(store, "development"), active(store, "staging"), active(store, "production")))
    assert seen == [("v1", None, None), ("v1", "v1", None), ("v1", "v1", "v1")]
    assert not compute_plan(state, store.snapshot(), now=NOW).has_changes

    plan = compute_plan(chain("v2", "v2"), store.snapshot(), now=NOW)
    assert {c.address.split("/")[1] for c in plan.visible_changes} == {"development"}
    staging = step(plan, "staging")
    assert (staging.state, staging.version, staging.next_version) == (PromotionState.CURRENT, "v1", "v2")
    assert step(plan, "production").next_version is None  # staging does not move in this apply
    follow = (f"{P}/staging will follow development's new version v2 of {WF} on the next apply or "
              f"`flowctl promote {P} development staging`.")
    doc = render_plan_json(plan)
    assert follow in render_plan_text(doc) and follow in render_plan_markdown(doc)
    assert [p["next_version"] for p in doc["promotions"] if p["domain"] == "staging"] == ["v2"]
    apply_plan(plan, store, identity=ME, now=NOW)
    assert (active(store, "staging"), active(store, "production")) == ("v1", "v1")


GATES = PromotionGates(require_successes=2, soak_seconds=3600, require_approval=True)


def at_staging_v2(gates: PromotionGates = GATES) -> MemStore:
    """development and staging at v2, production at v1 (gated from then on)."""
    store = MemStore()
    for state in (chain(),) * 3 + (chain("v2", "v2", gates),) * 2:
        apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    assert (active(store, "staging"), active(store, "production")) == ("v2", "v1")
    return store


def test_unmet_gates_hold_the_promotion_and_keep_what_production_runs():
    store = at_staging_v2()
    store.data.successes[(P, "staging", WF, "v2")] = 1
    activated = store.snapshot().active_launch_plans[(P, "staging", WF)].activated_at
    plan = compute_plan(chain("v2", "v2", GATES), store.snapshot(), now=activated + timedelta(minutes=20))
    assert not plan.has_changes  # nothing moves and nothing in production is deactivated
    held = step(plan, "production")
    assert (held.state, held.current, held.candidate, held.version) == (PromotionState.HELD, "v1", "v2", "v1")
    assert [(g.gate, g.met) for g in held.gates] == [("successes", False), ("soak", False), ("approval", False)]
    assert held.gates[0].actual == "1 succeeded" and held.gates[1].actual.startswith("active for 20m")
    text = render_plan_text(render_plan_json(plan))
    assert f"{P}/production <- staging: {WF} held at v1; v2 waits for its gates" in text
    assert "not met approval: no approval recorded (needs an approval of v2 for production)" in text
    assert f"to meet it: flowctl promote {P} staging production --entity {WF} --approve" in text
    assert render_plan_json(plan)["summary"]["promotions_held"] == 1


def test_met_gates_move_the_promotion_with_their_status():
    store = at_staging_v2()
    store.data.successes[(P, "staging", WF, "v2")] = 2
    store.record_approval(ApprovalRecord(P, "production", "staging", WF, "v2", "alice", NOW))
    later = store.snapshot().active_launch_plans[(P, "staging", WF)].activated_at + timedelta(hours=2)
    plan = compute_plan(chain("v2", "v2", GATES), store.snapshot(), now=later)
    moved = step(plan, "production")
    assert moved.state is PromotionState.MOVES and all(g.met for g in moved.gates)
    assert {c.address for c in plan.visible_changes if c.action is Action.SUPERSEDE} == {
        f"{P}/production/launch_plan/{WF}"}
    assert "approved by alice at 2026-03-27 12:00 UTC" in render_plan_text(render_plan_json(plan))
    apply_plan(plan, store, identity=ME, now=later)
    assert active(store, "production") == "v2"


def test_apply_checks_the_gates_again_and_writes_nothing_when_one_is_not_met():
    store = at_staging_v2(PromotionGates(require_approval=True))
    store.record_approval(ApprovalRecord(P, "production", "staging", WF, "v2", "alice", NOW))
    plan = compute_plan(chain("v2", "v2", PromotionGates(require_approval=True)), store.snapshot(), now=NOW)
    assert step(plan, "production").state is PromotionState.MOVES
    store.data.approvals.clear()  # the approval is withdrawn between plan and apply
    serial = store.snapshot().serial
    with pytest.raises(PromotionGateError, match="A promotion gate is not met any more") as info:
        apply_plan(plan, store, identity=ME, now=NOW)
    assert "waits for its approval gate" in str(info.value) and "--approve" in str(info.value)
    assert store.snapshot().serial == serial and active(store, "production") == "v1"
