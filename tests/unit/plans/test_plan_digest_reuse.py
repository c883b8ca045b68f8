"""An unchanged entity reuses its stored digest: a no-change plan hashes no spec (counts, not timings)."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import pytest
from plan_memstore import MemStore
from plan_specs import NOW, desired, register_workflow, scale_workflow, task

import flowctl.plans._resolved as resolved
from flowctl._errors import PlanError
from flowctl.plans import ApplyIdentity, apply_plan, compute_plan
from flowctl.plans._resolved import same_json
from flowctl.spec import DesiredState, Json, digest_of

P = "my-ml-project"
ME = ApplyIdentity("me", "host", "me@host:1")


def _state(body: object, version: str = "v1") -> DesiredState:
    tasks = [task("flows.mean"), task("flows.standard_deviation"), task("flows.standard_scale")]
    tasks[0] = tasks[0].model_copy(update={"config": {"body": body}})
    return desired(register_workflow(P, "development", scale_workflow(), tasks, version))


def _applied(state: DesiredState) -> MemStore:
    store = MemStore()
    apply_plan(compute_plan(state, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    return store


@pytest.fixture
def digests(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every spec the plan hashes (``digest_of`` as the resolver calls it)."""
    hashed: list[object] = []
    real = digest_of  # what the resolver calls

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
    assert same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})  # another order (JSONB's): the same canonical text
    from decimal import Decimal

    assert not same_json({"a": 1}, {"a": Decimal(1)})  # equal in Python, not a JSON value: hashed


@pytest.mark.parametrize(("a", "b", "same"), [
    ({"a": {"x": 1, "y": [True, 2.5]}}, {"a": {"y": [True, 2.5], "x": 1}}, True),
    ({"a": {"x": 1, "y": 2}}, {"a": {"y": 2, "x": 1.0}}, False),
    ({"a": {"x": 1, "y": 2}}, {"a": {"y": 2, "x": True}}, False),
    ({"a": {"x": 1.0, "y": 2}}, {"a": {"y": 2, "x": True}}, False),
    ({"b": [{"x": 0.0, "y": 1}]}, {"b": [{"y": 1, "x": -0.0}]}, False),
    ({"b": [{"x": 1, "y": 2}, {"z": None}]}, {"b": [{"z": None}, {"y": 2, "x": 1}]}, False),  # list order counts
])
def test_same_json_ignores_key_order_not_types(a: object, b: object, same: bool) -> None:
    assert same_json(a, b) is same
    assert same_json(b, a) is same


@pytest.mark.parametrize(("a", "b"), [
    ({"a": (1, 2)}, {"a": (1, 2)}),  # a tuple is not JSON: the digest decides
    ({1: "x"}, {1: "x"}), ({True: "x"}, {1: "x"}),  # keys that are not strings
    ({"a": float("inf")}, {"a": float("inf")}),  # canonical JSON has no infinity: digest_of raises
    ({"a": [0.0, {"b": [1, 2.0]}]}, {"a": [0.0, {"b": [1, 2]}]}),
])
def test_same_json_leaves_what_is_not_plain_json_to_the_digest(a: object, b: object) -> None:
    assert not same_json(a, b)


def test_same_json_is_the_canonical_text_compared() -> None:
    """On many documents equal in Python, in two key orders: same_json holds exactly when the canonical texts match."""
    import random

    from flowctl.spec import canonical_json

    rng = random.Random(13)
    scalars: list[object] = [1, 1.0, True, 0, 0.0, -0.0, False, None, "1", 2.5, "x"]

    def document(depth: int) -> object:
        roll = rng.random()
        if depth > 2 or roll < 0.4:
            return rng.choice(scalars)
        if roll < 0.7:
            return [document(depth + 1) for _ in range(rng.randrange(3))]
        return {k: document(depth + 1) for k in rng.sample(["a", "b", "cc", "d"], rng.randrange(1, 4))}

    def shuffled(value: object) -> object:
        if isinstance(value, dict):
            keys = list(value)
            rng.shuffle(keys)
            return {k: shuffled(value[k]) for k in keys}
        if isinstance(value, list):
            return [shuffled(v) for v in value]
        return value

    def twin(value: object) -> object:  # an equal value, some scalars swapped for an equal one of another type
        if isinstance(value, dict):
            return {k: twin(v) for k, v in value.items()}
        if isinstance(value, list):
            return [twin(v) for v in value]
        equal = [s for s in scalars if s == value]
        return rng.choice(equal) if rng.random() < 0.3 else value

    outcomes = set()
    for _ in range(3000):
        a = document(0)
        b = shuffled(twin(a))
        assert a == b
        same = canonical_json(a) == canonical_json(b)
        assert same_json(a, b) is same, (a, b)
        outcomes.add(same)
    assert outcomes == {True, False}


def _reordered(value: object) -> object:
    """``value`` with the keys of every object in another order (as JSONB returns them: shorter keys first)."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in sorted(value, key=lambda k: (len(k), k), reverse=True)}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def _jsonb_ordered(store: MemStore) -> MemStore:
    store.data.entities = {key: replace(e, spec=cast(dict[str, Json], _reordered(e.spec))) for key, e in store.data.entities.items()}
    return store


def test_a_spec_stored_in_another_key_order_reuses_its_digest(digests: list[object]) -> None:
    store = _applied(_state("v1"))
    orders = {key: list(e.spec) for key, e in store.data.entities.items()}
    _jsonb_ordered(store)
    assert all(list(e.spec) != orders[key] for key, e in store.data.entities.items())
    digests.clear()
    plan = compute_plan(_state("v1"), store.snapshot(), now=NOW)
    assert not plan.visible_changes
    assert digests == []


@pytest.mark.parametrize(("stored", "planned"), [(1, 1.0), (1, True), (0.0, -0.0)])
def test_another_key_order_still_tells_the_types_apart(stored: object, planned: object) -> None:
    store = _jsonb_ordered(_applied(_state({"n": stored, "other": "x"})))
    with pytest.raises(PlanError) as caught:
        compute_plan(_state({"other": "x", "n": planned}), store.snapshot(), now=NOW)
    assert "flows.mean" in str(caught.value)


def test_recorded_desired_state_is_the_desired_state_json() -> None:
    """The plan's desired state reuses the specs' JSON the resolver made: the same document, key for key."""
    import json

    from plan_specs import promote_workflow

    state = desired(register_workflow(P, "development", scale_workflow(), [task("flows.mean")], "v1"),
                    promote_workflow(P, "staging", "flows.standard_scale_workflow", "development"))
    plan = compute_plan(state, MemStore().snapshot(), now=NOW)
    assert json.dumps(plan.desired_state) == json.dumps(state.model_copy(update={"activations": tuple(
        a.model_copy(update={"active": False}) if a.promoted_from else a for a in state.activations)}).to_json())


def test_a_no_change_plan_on_a_sql_registry_hashes_no_spec(registry_url: str, digests: list[object]) -> None:
    """PostgreSQL's JSONB gives the stored specs back in its own key order: their digests are reused all the same."""
    from flowctl.state import open_store

    store = open_store(registry_url)
    try:
        apply_plan(compute_plan(_state("v1"), store.snapshot(), now=NOW), store, identity=ME, now=NOW)
        digests.clear()
        plan = compute_plan(_state("v1"), store.snapshot(), now=NOW)
    finally:
        store.close()
    assert not plan.visible_changes
    assert digests == []


class _Spec:
    def __init__(self, payload: dict[str, Json]) -> None:
        self.payload = payload

    def to_json(self) -> dict[str, Json]:
        return self.payload


def test_the_digest_cache_tells_types_apart_before_and_after_it_meets_another_key_order() -> None:
    """Marshal's bytes decide while the registry keeps key order; after a spec in another order, the walk does."""
    from datetime import UTC, datetime

    from flowctl._address import EntityKind
    from flowctl.plans._resolved import DigestCache
    from flowctl.state._interface import StoredEntity

    def stored(spec: dict[str, Json]) -> StoredEntity:
        return StoredEntity(EntityKind.TASK, P, "development", "t", "v1", "sha256:stored", spec,
                            datetime(2026, 1, 1, tzinfo=UTC), "me", "m")

    cache = DigestCache()
    cases = [({"a": 1, "b": {"c": 2.0}}, {"a": 1, "b": {"c": 2.0}}, True),
             ({"a": 1, "b": {"c": 2.0}}, {"a": 1, "b": {"c": 2}}, False),
             ({"a": 1, "b": {"c": 2.0}}, {"b": {"c": 2.0}, "a": 1}, True),  # another order: from here on, the walk
             ({"a": 1, "b": {"c": 2.0}}, {"a": True, "b": {"c": 2.0}}, False),
             ({"a": 1, "b": {"c": 0.0}}, {"b": {"c": -0.0}, "a": 1}, False),
             ({"a": 1, "b": {"c": 2.0}}, {"a": 1, "b": {"c": 2.0}}, True)]
    for planned, kept, reused in cases:
        digest = cache.of(_Spec(planned), stored(kept))[1]
        assert (digest == "sha256:stored") is reused, (planned, kept)
        assert reused or digest == digest_of(planned)
