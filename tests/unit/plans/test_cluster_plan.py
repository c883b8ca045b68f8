"""The Kubernetes part of a plan: desired vs observed per project-domain objects (pure, literal dicts)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.plans._cluster import (
    CLUSTER_NO_CHANGES,
    ClusterPlan,
    compute_cluster_plan,
    moved_objects,
    render_cluster_json,
    render_cluster_markdown,
    render_cluster_text,
)

LABELS = {"app.kubernetes.io/managed-by": "flowctl", "flowctl.io/project": "ml", "flowctl.io/domain": "dev"}
SCOPE = ("ml", "dev")


def namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml-dev", "labels": dict(LABELS)}}


def quota(cpu: str = "16") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota",
            "metadata": {"name": "flowctl-quota", "namespace": "ml-dev", "labels": dict(LABELS)},
            "spec": {"hard": {"requests.cpu": cpu, "requests.memory": "64Gi"}}}


def service_account() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "flowctl-task", "namespace": "ml-dev", "labels": dict(LABELS)}}


def desired() -> list[dict[str, Any]]:
    return [namespace(), quota(), service_account()]


def served(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as an API server returns it: server fields, defaults and status added."""
    out = copy.deepcopy(obj)
    meta = out["metadata"]
    meta.update({"uid": "9b1c", "resourceVersion": "42", "creationTimestamp": "2026-01-01T00:00:00Z",
                 "managedFields": [{"manager": "kubectl"}]})
    meta["labels"] = {**meta.get("labels", {}), "kubernetes.io/metadata.name": meta["name"]}
    meta["annotations"] = {"someone.else/owns": "this"}
    if out["kind"] == "Namespace":
        out["spec"] = {"finalizers": ["kubernetes"]}
        out["status"] = {"phase": "Active"}
    if out["kind"] == "ResourceQuota":
        out["status"] = {"hard": out["spec"]["hard"], "used": {"requests.cpu": "0"}}
    if out["kind"] == "ServiceAccount":
        out["secrets"] = [{"name": "flowctl-task-token"}]
    return out


def test_missing_objects_are_created_in_desired_order() -> None:
    plan = compute_cluster_plan({SCOPE: desired()}, {})
    assert [(c.action, c.address) for c in plan.changes] == [
        ("create", "ml/dev/k8s/Namespace/ml-dev"),
        ("create", "ml/dev/k8s/ResourceQuota/flowctl-quota"),
        ("create", "ml/dev/k8s/ServiceAccount/flowctl-task"),
    ]
    assert plan.summary() == "Kubernetes: 3 to create, 0 to update."
    assert plan.changes[1].before is None
    assert plan.changes[1].after == quota()
    assert 'spec.hard["requests.cpu"]' in plan.changes[1].changed_fields


def test_server_populated_fields_and_foreign_labels_are_ignored() -> None:
    plan = compute_cluster_plan({SCOPE: desired()}, {SCOPE: [served(o) for o in desired()]})
    assert [c.action for c in plan.changes] == ["noop", "noop", "noop"]
    assert not plan.has_changes
    assert plan.summary() == CLUSTER_NO_CHANGES
    assert render_cluster_json(plan) == []
    assert render_cluster_text([]) == [] and render_cluster_markdown([]) == []


def test_a_changed_quota_and_a_removed_label_are_updates_with_before_and_after() -> None:
    live = [served(o) for o in desired()]
    live[1]["spec"]["hard"]["requests.cpu"] = "99"
    del live[2]["metadata"]["labels"]["flowctl.io/domain"]
    plan = compute_cluster_plan({SCOPE: desired()}, {SCOPE: live})
    assert [c.action for c in plan.changes] == ["noop", "update", "update"]
    quota_change, sa_change = plan.changes[1], plan.changes[2]
    assert quota_change.changed_fields == ('spec.hard["requests.cpu"]',)
    assert quota_change.field_changes() == [('spec.hard["requests.cpu"]', "99", "16")]
    assert sa_change.field_changes() == [('metadata.labels["flowctl.io/domain"]', None, "dev")]
    assert plan.summary() == "Kubernetes: 0 to create, 2 to update."
    text = "\n".join(render_cluster_text(render_cluster_json(plan)))
    assert '~ ResourceQuota "ml/dev/k8s/ResourceQuota/flowctl-quota" {' in text
    assert '~ spec.hard["requests.cpu"] = "99" -> "16"' in text
    assert '+ metadata.labels["flowctl.io/domain"] = "dev"' in text
    markdown = "\n".join(render_cluster_markdown(render_cluster_json(plan)))
    assert "0 to create, 2 to update" in markdown and "```diff" in markdown


def test_a_limit_range_list_is_compared_item_by_item() -> None:
    limits = {"apiVersion": "v1", "kind": "LimitRange",
              "metadata": {"name": "flowctl-limits", "namespace": "ml-dev", "labels": dict(LABELS)},
              "spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]}}
    live = copy.deepcopy(limits)
    live["spec"]["limits"][0]["default"]["cpu"] = "2"
    plan = compute_cluster_plan({SCOPE: [limits]}, {SCOPE: [live]})
    assert plan.changes[0].changed_fields == ("spec.limits[0].default.cpu",)
    assert plan.changes[0].field_changes() == [("spec.limits[0].default.cpu", "2", "1")]


def test_scopes_are_sorted_and_objects_of_other_scopes_do_not_match() -> None:
    other = ("ads", "prod")
    plan = compute_cluster_plan({SCOPE: [namespace()], other: [namespace()]}, {other: [served(namespace())]})
    assert [(c.project, c.action) for c in plan.changes] == [("ads", "noop"), ("ml", "create")]


def test_moved_objects_name_what_changed_since_the_plan() -> None:
    live = [served(o) for o in desired()]
    plan = compute_cluster_plan({SCOPE: desired()}, {SCOPE: live[:2]})
    unchanged = {c.address: live[i] for i, c in enumerate(plan.changes) if i < 2}
    assert moved_objects(plan, unchanged) == []
    edited = copy.deepcopy(unchanged)
    edited["ml/dev/k8s/ResourceQuota/flowctl-quota"]["spec"]["hard"]["requests.cpu"] = "8"
    edited["ml/dev/k8s/ServiceAccount/flowctl-task"] = live[2]
    del edited["ml/dev/k8s/Namespace/ml-dev"]
    lines = moved_objects(plan, edited)
    assert lines == [
        "ml/dev/k8s/Namespace/ml-dev: deleted from the cluster since the plan was made",
        'ml/dev/k8s/ResourceQuota/flowctl-quota: changed on the cluster since the plan was made '
        '(spec.hard["requests.cpu"] was "16", is now "8")',
        "ml/dev/k8s/ServiceAccount/flowctl-task: created on the cluster since the plan was made",
    ]


def test_the_plan_round_trips_through_json() -> None:
    plan = compute_cluster_plan({SCOPE: desired()}, {SCOPE: [served(quota("1"))]})
    assert ClusterPlan.model_validate(plan.model_dump(mode="json")) == plan


# ---------------------------------------------------------------------- property
def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 (what apply sends for an existing object)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


quantities = st.sampled_from(["1", "2", "500m", "16", "1Gi", "64Gi"])
label_maps = st.dictionaries(st.sampled_from(["a", "b.io/c", "flowctl.io/x"]), st.sampled_from(["1", "2"]), max_size=3)
hard_maps = st.dictionaries(st.sampled_from(["requests.cpu", "requests.memory", "pods"]), quantities, max_size=3)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    want = [namespace(), quota(), service_account()]
    want[0]["metadata"]["labels"].update(draw(label_maps))
    want[1]["spec"]["hard"] = draw(hard_maps)
    live: list[dict[str, Any]] = []
    for obj in want:
        if not draw(st.booleans()):
            continue
        have = served(obj)
        have["metadata"]["labels"] = draw(label_maps)
        if obj["kind"] == "ResourceQuota":
            have["spec"]["hard"] = draw(hard_maps)
        live.append(have)
    return want, live


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_applying_the_desired_objects_empties_the_next_plan(world: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    want, live = world
    plan = compute_cluster_plan({SCOPE: want}, {SCOPE: live})
    by_address = {c.address: c for c in plan.changes}
    after_apply = []
    for obj in want:
        key = f"ml/dev/k8s/{obj['kind']}/{obj['metadata']['name']}"
        current = next((o for o in live if o["kind"] == obj["kind"]), None)
        change = by_address[key]
        if change.action == "create":
            assert current is None
            after_apply.append(served(change.after))
        elif change.action == "update":
            after_apply.append(merge_patch(current, change.after))
        else:
            assert current is not None
            after_apply.append(current)
    assert not compute_cluster_plan({SCOPE: want}, {SCOPE: after_apply}).has_changes
