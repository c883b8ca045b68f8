"""compute_plan on literal specs: actions, reasons, immutability, promotion, compatibility, targets."""

from __future__ import annotations

import pytest
from plan_memstore import MemStore
from plan_specs import (
    FLOAT_LIST,
    NOW,
    desired,
    launch_plan,
    promote_workflow,
    register_workflow,
    scale_tasks,
    scale_workflow,
)

from flowctl._address import Address, EntityKind
from flowctl._errors import PlanError
from flowctl.plans import (
    NO_CHANGES,
    Action,
    ApplyIdentity,
    ObjectType,
    PlanMode,
    PromotionState,
    Reason,
    apply_plan,
    compute_plan,
)
from flowctl.spec import ActivationSpec, DomainSettingsSpec, RegistrationSpec, TypeSpec

P = "my-ml-project"
ME = ApplyIdentity("me", "host", "me@host:1")


def applied(store: MemStore, state) -> None:
    apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ME, now=NOW)


def dev(version: str = "v1", body: str = "v1", **kw):
    return register_workflow(P, "development", scale_workflow(**kw), scale_tasks(body), version)


def by_action(plan, action):
    return [c for c in plan.visible_changes if c.action is action]


def test_first_plan_registers_workflow_tasks_default_launch_plan_and_activates():
    plan = compute_plan(desired(dev()), MemStore().snapshot(), now=NOW)
    kinds = sorted(c.object_type.value for c in by_action(plan, Action.REGISTER))
    assert kinds == ["launch_plan", "project", "task", "task", "task", "workflow"]
    (activation,) = by_action(plan, Action.CHANGE)
    assert activation.reason is Reason.CHANGE_BECAUSE_ACTIVATED
    assert plan.summary() == "Plan: 6 to register, 1 to change, 0 to deactivate."
    assert plan.base_serial == 0 and plan.lineage == "mem-lineage"


def test_apply_then_plan_is_empty():
    store = MemStore()
    applied(store, desired(dev()))
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    assert not plan.has_changes and plan.summary() == NO_CHANGES


def test_same_version_different_content_is_a_plan_error_with_the_diff_and_the_fix():
    store = MemStore()
    applied(store, desired(dev()))
    with pytest.raises(PlanError) as info:
        compute_plan(desired(dev("v1", body="v2")), store.snapshot(), now=NOW)
    text = info.value.render()
    assert "already registered with different content" in text
    assert "config.body: \"v1\" -> \"v2\"" in text
    assert "bump the version" in text and "--allow-dirty" in text
    assert "my-ml-project/development/task/flows.mean@v1" in text


def test_new_version_registers_and_supersedes_keeping_the_old_one():
    store = MemStore()
    applied(store, desired(dev()))
    plan = compute_plan(desired(dev("v2", body="v2")), store.snapshot(), now=NOW)
    registers = by_action(plan, Action.REGISTER)
    assert {c.reason for c in registers} == {Reason.REGISTER_BECAUSE_NEW_VERSION}
    (sup,) = by_action(plan, Action.SUPERSEDE)
    assert sup.before == {"active_version": "v1", "schedule": None}
    assert sup.after == {"active_version": "v2", "schedule": None}
    assert not plan.compatibility


@pytest.mark.parametrize(
    ("inputs", "optional", "kind", "breaking"),
    [
        ({}, (), "removed", True),
        ({"values": TypeSpec(kind="str")}, (), "type_changed", True),
        ({"values": FLOAT_LIST, "n": TypeSpec(kind="int")}, (), "new_required", True),
        ({"values": FLOAT_LIST, "n": TypeSpec(kind="int")}, ("n",), "new_optional", False),
    ],
)
def test_interface_compatibility_on_supersede(inputs, optional, kind, breaking):
    store = MemStore()
    applied(store, desired(dev()))
    plan = compute_plan(desired(dev("v2", inputs=inputs, optional=optional)), store.snapshot(), now=NOW)
    (finding,) = plan.compatibility
    assert (finding.kind, finding.breaking) == (kind, breaking)
    assert bool(plan.breaking) is breaking
    assert finding.from_version == "v1" and finding.to_version == "v2"


def test_fixed_input_hides_a_removed_workflow_input_from_callers():
    store = MemStore()
    wf = scale_workflow()
    lp_regs = [RegistrationSpec(project=P, domain="development", kind=EntityKind.LAUNCH_PLAN, name="nightly",
                                version=v, spec=launch_plan("nightly", wf.name, fixed={"values": [1.0]}))
               for v in ("v1", "v2")]
    act = lambda v: ActivationSpec(project=P, domain="development", name="nightly", version=v)  # noqa: E731
    applied(store, desired(dev(), extra_regs=lp_regs[:1], extra_acts=[act("v1")]))
    plan = compute_plan(desired(dev("v2"), extra_regs=lp_regs[1:], extra_acts=[act("v2")]), store.snapshot(), now=NOW)
    assert not plan.compatibility


def test_launch_plan_removed_from_manifest_is_deactivated_not_deleted():
    store = MemStore()
    nightly = RegistrationSpec(project=P, domain="development", kind=EntityKind.LAUNCH_PLAN, name="nightly",
                               version="v1", spec=launch_plan("nightly", scale_workflow().name, cron="0 0 * * *"))
    applied(store, desired(dev(), extra_regs=[nightly],
                           extra_acts=[ActivationSpec(project=P, domain="development", name="nightly", version="v1")]))
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    (change,) = plan.visible_changes
    assert change.action is Action.DEACTIVATE and change.reason is Reason.DEACTIVATE_BECAUSE_NOT_IN_MANIFEST
    apply_plan(plan, store, identity=ME, now=NOW)
    assert (EntityKind.LAUNCH_PLAN, P, "development", "nightly", "v1") in store.snapshot().entities
    assert (P, "development", "nightly") not in store.snapshot().active_launch_plans


def test_inactive_declaration_deactivates_and_foreign_activations_are_left_alone():
    store = MemStore()
    applied(store, desired(dev()))
    with store.transaction() as tx:  # someone else's launch plan in the same domain
        tx.register(EntityKind.LAUNCH_PLAN, P, "development", "manual", "m1", {"name": "manual"}, "sha256:x",
                    managed_by="someone", created_by="x")
        tx.activate(P, "development", "manual", "m1", managed_by="someone")
    regs, act = dev()
    inactive = act.model_copy(update={"active": False})
    plan = compute_plan(desired((regs, inactive)), store.snapshot(), now=NOW)
    (change,) = plan.visible_changes
    assert change.reason is Reason.DEACTIVATE_BECAUSE_MARKED_INACTIVE
    assert change.address == "my-ml-project/development/launch_plan/flows.standard_scale_workflow"


def test_promotion_from_a_domain_in_the_same_manifest_waits_for_the_next_apply_then_uses_identical_specs():
    store = MemStore()
    state = desired(dev(), promote_workflow(P, "production", scale_workflow().name, "development"))
    first = compute_plan(state, store.snapshot(), now=NOW)
    assert not [c for c in first.visible_changes if c.address.startswith(f"{P}/production/")]
    (step,) = first.promotions
    assert (step.state, step.candidate, step.next_version) == (PromotionState.WAITING, None, "v1")
    apply_plan(first, store, identity=ME, now=NOW)
    plan = compute_plan(state, store.snapshot(), now=NOW)
    prod = [c for c in plan.visible_changes if c.address.startswith(f"{P}/production/") and c.action is Action.REGISTER]
    assert len(prod) == 5
    assert all(c.note == "promoted from development (identical digest)" for c in prod)
    for change in prod:
        source = Address.parse(change.address.replace("/production/", "/development/"))
        stored = store.data.entities[(source.kind, source.project, source.domain, source.name, source.version)]
        assert stored.digest == change.after["digest"]


def test_promotion_from_the_registry_keeps_stored_specs_and_bundles():
    store = MemStore()
    applied(store, desired(dev()))
    for key, entity in list(store.data.entities.items()):  # give the stored versions a bundle
        store.data.entities[key] = type(entity)(**{**entity.__dict__, "bundle_uri": "file:///b/1.tar.gz"})
    state = desired(promote_workflow(P, "staging", scale_workflow().name, "development"))
    plan = compute_plan(state, store.snapshot(), now=NOW)
    registers = by_action(plan, Action.REGISTER)
    assert len(registers) == 5
    assert all(c.after["bundle_uri"] == "file:///b/1.tar.gz" for c in registers)
    (act,) = by_action(plan, Action.CHANGE)
    assert act.after["active_version"] == "v1" and act.promoted_from == "development"


def test_promotion_with_nothing_in_the_source_warns_and_registers_nothing():
    plan = compute_plan(desired(promote_workflow(P, "production", "flows.other", "staging")), MemStore().snapshot(),
                        now=NOW)
    assert [c.object_type for c in plan.visible_changes] == [ObjectType.PROJECT]
    (warning,) = plan.warnings
    assert "Nothing to promote yet" in warning.summary


def test_promotion_of_a_missing_pinned_version_is_an_error():
    store = MemStore()
    applied(store, desired(dev()))
    with pytest.raises(PlanError, match="Cannot promote workflow"):
        compute_plan(desired(promote_workflow(P, "production", scale_workflow().name, "development", version="v9")),
                     store.snapshot(), now=NOW)


def test_promotion_cycle_is_an_error():
    state = desired(promote_workflow(P, "production", "wf", "staging"), promote_workflow(P, "staging", "wf", "production"))
    with pytest.raises(PlanError, match="Promotion cycle"):
        compute_plan(state, MemStore().snapshot(), now=NOW)


def test_settings_and_project_attributes_change_in_place():
    store = MemStore()
    settings = (DomainSettingsSpec(project=P, domain="production", service_account="a"),)
    applied(store, desired(dev(), settings=settings))
    changed = (DomainSettingsSpec(project=P, domain="production", service_account="b", environment={"X": "1"}),)
    plan = compute_plan(desired(dev(), settings=changed, description="new"), store.snapshot(), now=NOW)
    project, settings_change = plan.visible_changes
    assert project.reason is Reason.CHANGE_BECAUSE_PROJECT_ATTRIBUTES_DIFFER
    assert [(a.path, a.before, a.after) for a in project.attributes] == [("description", "", "new")]
    assert [(a.path, a.before, a.after) for a in settings_change.attributes] == [
        ("environment.X", None, "1"), ("service_account", "a", "b")]


def test_target_limits_the_plan_and_keeps_what_a_workflow_needs():
    state = desired(dev(), promote_workflow(P, "production", scale_workflow().name, "development"))
    target = Address.parse(f"{P}/development/workflow/flows.standard_scale_workflow@v1")
    plan = compute_plan(state, MemStore().snapshot(), now=NOW, targets=[target])
    addresses = {c.address for c in plan.visible_changes}
    assert P in addresses  # the new project it lives in
    assert all("/production/" not in a for a in addresses)
    assert f"{P}/development/task/flows.mean@v1" in addresses
    assert f"{P}/development/launch_plan/flows.standard_scale_workflow" in addresses
    assert plan.targets == (str(target),)


def test_schedule_forecast_in_zone_and_utc_with_dst_note():
    nightly = RegistrationSpec(project=P, domain="development", kind=EntityKind.LAUNCH_PLAN, name="nightly",
                               version="v1", spec=launch_plan("nightly", scale_workflow().name, cron="30 2 * * *",
                                                              tz="Europe/Zurich"))
    act = ActivationSpec(project=P, domain="development", name="nightly", version="v1")
    plan = compute_plan(desired(dev(), extra_regs=[nightly], extra_acts=[act]), MemStore().snapshot(), now=NOW)
    (fc,) = plan.forecasts
    # 02:30 does not exist on 2026-03-29 in Zurich: croniter (and so the scheduler) fires at 03:00.
    assert [f.local for f in fc.fire_times] == ["2026-03-28T02:30+01:00", "2026-03-29T03:00+02:00",
                                                "2026-03-30T02:30+02:00"]
    assert [f.utc for f in fc.fire_times] == ["2026-03-28T01:30+00:00", "2026-03-29T01:00+00:00",
                                              "2026-03-30T00:30+00:00"]
    assert fc.notes and "+01:00 -> +02:00" in fc.notes[0]


def test_launch_plan_inputs_must_exist_in_the_workflow():
    bad = RegistrationSpec(project=P, domain="development", kind=EntityKind.LAUNCH_PLAN, name="nightly", version="v1",
                           spec=launch_plan("nightly", scale_workflow().name, fixed={"nope": 1}), source="m.py:7")
    with pytest.raises(PlanError, match="unknown inputs in fixed_inputs: nope"):
        compute_plan(desired(dev(), extra_regs=[bad]), MemStore().snapshot(), now=NOW)


def test_promote_mode_never_deactivates():
    store = MemStore()
    applied(store, desired(dev()))
    plan = compute_plan(desired(), store.snapshot(), now=NOW, mode=PlanMode.PROMOTE)
    assert not plan.has_changes


def test_digest_cache_matches_spec_digest():
    wf = scale_workflow()
    plan = compute_plan(desired(dev()), MemStore().snapshot(), now=NOW)
    (change,) = [c for c in plan.visible_changes if c.object_type is ObjectType.WORKFLOW]
    assert change.after["digest"] == wf.digest()


def test_promoted_launch_plan_with_overlays_at_an_old_version_warns_instead_of_failing():
    store = MemStore()
    wf = scale_workflow()

    def state(defaults):
        lp = RegistrationSpec(project=P, domain="production", kind=EntityKind.LAUNCH_PLAN, name="nightly", version=None,
                              promoted_from="development", source="m.py:3",
                              spec=launch_plan("nightly", wf.name, cron="0 1 * * *", fixed={"values": defaults}))
        act = ActivationSpec(project=P, domain="production", name="nightly", version=None, promoted_from="development")
        return desired(dev(), promote_workflow(P, "production", wf.name, "development"), extra_regs=[lp],
                       extra_acts=[act])

    applied(store, state([1.0]))  # development
    applied(store, state([1.0]))  # production follows
    plan = compute_plan(state([2.0]), store.snapshot(), now=NOW)
    assert not plan.has_changes
    (warning,) = plan.warnings
    assert "stays as registered" in warning.summary and "fixed_inputs.values[0]: 1.0 -> 2.0" in warning.detail
