"""An unchanged entity reuses its stored digest: a no-change plan hashes no spec (counts, not timings)."""

from __future__ import annotations

import pytest
from plan_memstore import MemStore
from plan_specs import NOW, desired, register_workflow, scale_workflow, task

import flowctl.plans._resolved as resolved
from flowctl._errors import PlanError
from flowctl.plans import ApplyIdentity, apply_plan, compute_plan
from flowctl.plans._resolved import same_json

P = "my-ml-project"
ME = ApplyIdentity("me", "host", "me@host:1")


def _state(body: object, version: str = "v1"):
    tasks = [task("flows.mean"), task("flows.standard_deviation"), task("flows.standard_scale")]
    tasks[0] = tasks[0].model_copy(update={"config": {"body": body}})
    return desired(register_workflow(P, "development", scale_workflow(), tasks, version))


def _applied(state) -> MemStore:
    store = MemStore()
    apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    return store


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every spec the plan hashes (``digest_of`` as the resolver calls it)."""
    hashed: list[object] = []
    real = resolved.digest_of

    def counting(value: object) -> str:
        hashed.append(value)
        return real(value)

    monkeypatch.setattr(resolved, "digest_of", counting)
    return hashed


def test_no_change_plan_hashes_no_spec(digests: list[object]) -> None:
    store = _applied(_state("v1"))
    digests.clear()
    plan = compute_plan(_state("v1"), store.snapshot(), now=NOW)
    assert not plan.visible_changes
    assert digests == []


def test_only_the_changed_entity_is_hashed(digests: list[object]) -> None:
    store = _applied(_state("v1"))
    digests.clear()
    plan = compute_plan(_state("v2", version="v2"), store.snapshot(), now=NOW)
    assert {c.address for c in plan.visible_changes if "flows.mean@" in c.address} == {f"{P}/development/task/flows.mean@v2"}
    assert len(digests) == 5  # nothing is stored at v2: the workflow, its three tasks and its launch plan


@pytest.mark.parametrize(("stored", "planned"), [(1, 1.0), (1, True), (0.0, -0.0)])
def test_equal_in_python_but_not_in_json_is_a_different_digest(stored: object, planned: object) -> None:
    """``1 == 1.0 == True`` in Python; canonical JSON tells them apart, so the digest (and the
    immutability check of a version) must too."""
    store = _applied(_state(stored))
    with pytest.raises(PlanError) as caught:
        compute_plan(_state(planned), store.snapshot(), now=NOW)
    assert "flows.mean" in str(caught.value)


def test_same_json_is_exact() -> None:
    assert same_json({"a": [1, "x", None, {"b": 2.5}]}, {"a": [1, "x", None, {"b": 2.5}]})
    assert not same_json({"a": 1}, {"a": 1.0})
    assert not same_json({"a": 1}, {"a": True})
    assert not same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})  # another order: hashed, not trusted
    from decimal import Decimal

    assert not same_json({"a": 1}, {"a": Decimal(1)})  # equal in Python, not a JSON value: hashed


def test_recorded_desired_state_is_the_desired_state_json() -> None:
    """The plan's desired state reuses the specs' JSON the resolver made: the same document, key for key."""
    import json

    from plan_specs import promote_workflow

    state = desired(register_workflow(P, "development", scale_workflow(), [task("flows.mean")], "v1"),
                    promote_workflow(P, "staging", "flows.standard_scale_workflow", "development"))
    plan = compute_plan(state, MemStore().snapshot(), now=NOW)
    assert json.dumps(plan.desired_state) == json.dumps(state.model_copy(update={"activations": tuple(
        a.model_copy(update={"active": False}) if a.promoted_from else a for a in state.activations)}).to_json())
