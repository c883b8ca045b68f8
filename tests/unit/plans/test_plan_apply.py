"""Apply on an in-memory registry: phases, history, failures that converge, stale saved plans, and the
property that repeated applies reach desired (promotions one step per apply) and the next plan is empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_memstore import MemStore
from plan_specs import (
    NOW,
    desired,
    launch_plan,
    promote_workflow,
    register_workflow,
    scale_tasks,
    scale_workflow,
    task,
    workflow,
)

from flowctl._address import EntityKind
from flowctl._errors import ApplyError, LockError
from flowctl.plans import (
    ApplyIdentity,
    apply_plan,
    check_fresh,
    compute_plan,
    is_plan_file,
    load_plan,
    phase_of,
    save_plan,
)
from flowctl.plans import _apply as apply_module
from flowctl.plans._resolved import SnapshotIndex
from flowctl.spec import ActivationSpec, DomainSettingsSpec, RegistrationSpec

P = "my-ml-project"
ME = ApplyIdentity("me", "host", "me@host:1", "https://ci/run/1")


def dev(version: str = "v1", body: str = "v1"):
    return register_workflow(P, "development", scale_workflow(), scale_tasks(body), version)


def test_apply_records_history_and_uses_two_phases():
    store = MemStore()
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    phases = [phase_of(c) for c in plan.visible_changes]
    assert phases.count(2) == 1  # the activation
    result = apply_plan(plan, store, identity=ME, now=NOW, bundle=lambda: "file:///bundles/abc.tar.gz")
    assert result.summary() == "Apply complete! 6 registered, 1 changed, 0 deactivated."
    assert store.data.serial == 2  # one commit per phase
    (record,) = store.data.history
    assert record.operation == "apply" and record.ci_run_url == "https://ci/run/1"
    assert record.summary == "Plan: 6 to register, 1 to change, 0 to deactivate."
    stored = store.snapshot().entities[(EntityKind.TASK, P, "development", "flows.mean", "v1")]
    assert stored.bundle_uri == "file:///bundles/abc.tar.gz" and stored.managed_by == "manifests:."


def test_empty_plan_writes_nothing():
    store = MemStore()
    apply_plan(compute_plan(desired(dev()), store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    serial = store.data.serial
    apply_plan(compute_plan(desired(dev()), store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    assert store.data.serial == serial


def test_failure_in_phase_two_reports_what_was_done_and_a_rerun_converges(monkeypatch):
    store = MemStore()
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)

    def broken(ctx, change):
        raise RuntimeError("connection lost")

    monkeypatch.setitem(apply_module._HANDLERS, (apply_module.Action.CHANGE, apply_module.ObjectType.ACTIVATION), broken)
    with pytest.raises(ApplyError) as info:
        apply_plan(plan, store, identity=ME, now=NOW)
    text = info.value.render()
    assert "Apply failed in phase 2" in text and "6 change(s) are in the registry" in text
    assert "RuntimeError: connection lost" in text and "run `flowctl apply` again" in text
    assert not store.snapshot().active_launch_plans and not store.data.history
    monkeypatch.undo()
    rerun = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    assert [c.object_type.value for c in rerun.visible_changes] == ["activation"]
    apply_plan(rerun, store, identity=ME, now=NOW)
    assert not compute_plan(desired(dev()), store.snapshot(), now=NOW).has_changes


def test_lock_held_fails():
    store = MemStore()
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    store.locked_by = "other@host:2"
    with pytest.raises(LockError, match="other@host:2"):
        apply_plan(plan, store, identity=ME, now=NOW)


def test_saved_plan_round_trip_and_stale_refusal(tmp_path: Path):
    store = MemStore()
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    path = tmp_path / "plan.out"
    save_plan(plan, path, manifest_root=tmp_path)
    assert is_plan_file(path) and not is_plan_file(tmp_path)
    saved = load_plan(path)
    assert saved.plan == plan and saved.manifest_root == str(tmp_path)
    other = compute_plan(desired(dev()), store.snapshot(), now=NOW)
    apply_plan(other, store, identity=ME, now=NOW)  # someone applied in between
    with pytest.raises(ApplyError) as info:
        apply_plan(saved.plan, store, identity=ME, now=NOW)
    text = info.value.render()
    assert "Plan is stale: the registry changed after this plan was made (serial 0 -> 2)" in text
    assert "serial 1: apply by me@host" in text or "serial 2: apply by me@host" in text
    assert "my-ml-project/development/launch_plan/flows.standard_scale_workflow: active version was None, is now v1" in text
    assert "Run `flowctl plan` again" in text


def test_plan_for_another_registry_is_refused():
    store = MemStore()
    plan = compute_plan(desired(dev()), store.snapshot(), now=NOW).model_copy(update={"lineage": "other"})
    with pytest.raises(ApplyError, match="another registry"):
        check_fresh(plan, store.snapshot())


def test_load_rejects_other_files(tmp_path: Path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    with pytest.raises(ApplyError, match="not a flowctl plan file"):
        load_plan(bad)


# ---------------------------------------------------------------- property
DOMAINS = ("development", "staging", "production")


@st.composite
def manifests(draw):
    """A random manifest: workflows in domains at versions, launch plans active or not, promotions,
    settings; names and versions drawn from small pools so states overlap."""
    regs: list[RegistrationSpec] = []
    acts: list[ActivationSpec] = []
    settings_specs = []
    promoted: set[tuple[str, str]] = set()
    for domain in DOMAINS:
        for wf_index in draw(st.sets(st.integers(0, 2), max_size=2)):
            name = f"wf{wf_index}"
            if domain != "development" and draw(st.booleans()):
                promoted.add((domain, name))
                r, a = promote_workflow(P, domain, name, DOMAINS[DOMAINS.index(domain) - 1])
                regs += r
                acts.append(a)
                continue
            version = draw(st.sampled_from(["v1", "v2", "v3"]))
            body = f"{name}-{version}"  # one content per version: no immutability conflicts
            tasks = [task(f"{name}.t{i}", body) for i in range(int(version[1]) % 2 + 1)]
            wf = workflow(name, tuple(t.name for t in tasks))
            r, a = register_workflow(P, domain, wf, tasks, version)
            regs += r
            acts.append(a)
            if draw(st.booleans()):
                lp = f"{name}_nightly"
                regs.append(RegistrationSpec(project=P, domain=domain, kind=EntityKind.LAUNCH_PLAN, name=lp,
                                             version=version, spec=launch_plan(lp, name, cron="0 3 * * *")))
                acts.append(ActivationSpec(project=P, domain=domain, name=lp, version=version, active=draw(st.booleans())))
        if draw(st.booleans()):
            settings_specs.append(DomainSettingsSpec(project=P, domain=domain,
                                                     service_account=draw(st.sampled_from(["a", "b"]))))
    return desired(extra_regs=regs, extra_acts=acts, settings=tuple(settings_specs),
                   description=draw(st.sampled_from(["", "ml"])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=manifests(), second=manifests())
def test_apply_moves_promotions_one_step_and_converges(first, second):
    """Each apply gives a promoted domain what its source ran *before* that apply (or leaves it), so the
    chain development -> staging -> production settles within one apply per step, then plans are empty."""
    store = MemStore()
    for state in (first, second):
        for _ in range(len(DOMAINS) + 1):
            before = store.snapshot()
            plan = compute_plan(state, before, now=NOW)
            if not plan.has_changes:
                break
            apply_plan(plan, store, identity=ME, now=NOW)
            after = store.snapshot()
            for act in state.activations:
                if act.promoted_from and act.active:
                    key, source = (act.project, act.domain, act.name), (act.project, act.promoted_from, act.name)
                    allowed = {r.version for r in (before.active_launch_plans.get(key),
                                                   before.active_launch_plans.get(source)) if r is not None}
                    moved = after.active_launch_plans.get(key)
                    assert moved is None or moved.version in allowed, (key, moved, allowed)
        again = compute_plan(state, store.snapshot(), now=NOW)
        assert not again.has_changes, [c.address for c in again.visible_changes]
        snapshot = store.snapshot()
        for reg in state.registrations:
            if reg.spec is not None and reg.version is not None:
                key = (reg.kind, reg.project, reg.domain, reg.name, reg.version)
                assert snapshot.entities[key].digest == reg.spec.digest()
        for act in state.activations:
            record = snapshot.active_launch_plans.get((act.project, act.domain, act.name))
            if not act.active:
                assert record is None
            elif act.version is not None:
                assert record is not None and record.version == act.version
            elif record is not None:  # promoted: what the source runs
                source = SnapshotIndex(snapshot).running_version(act.project, act.promoted_from, act.name,
                                                                 state.manifest_id)
                assert source is None or record.version == source  # nothing in the source: kept
