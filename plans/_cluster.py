"""The Kubernetes part of a plan (pure): per project-domain objects, desired vs observed.

With the kubernetes provider, every project-domain gets a Namespace, a ResourceQuota, a
ServiceAccount and (when configured) a LimitRange. The CLI renders the desired objects
(``desired_namespace_objects``) and reads what the API server has (``read_objects``); this module
only compares plain dicts. Only what flowctl sets is compared: the body of the desired object and
the labels and annotations it declares. Server-populated fields (uid, resourceVersion,
creationTimestamp, managedFields, status, defaults) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from flowctl._structdiff import FieldChange, structural_diff

ClusterAction = Literal["create", "update", "noop"]
Scope = tuple[str, str]  # project, domain
_SYMBOLS = {"create": "+", "update": "~", "noop": " "}
_LEGENDS = {"create": "create", "update": "update in place (merge patch)"}
_COMPARED_METADATA = ("labels", "annotations")
_IGNORED_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "status"})


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClusterChange(_Data):
    """One Kubernetes object of a project-domain.

    ``after`` is the whole desired object (what apply sends); ``before`` is what the cluster had of
    the fields flowctl sets (``None`` when the object does not exist), so a saved plan can tell
    whether the cluster moved since. ``changed_fields`` are the paths that differ, e.g.
    ``spec.hard["requests.cpu"]``.
    """

    address: str
    action: ClusterAction
    project: str
    domain: str
    kind: str
    namespace: str | None
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    changed_fields: tuple[str, ...] = ()

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self.action]

    def field_changes(self) -> list[tuple[str, Any, Any]]:
        """``(path, before, after)`` for every changed field (``before`` None when it is new)."""
        return [(c.path, c.before, c.after) for c in _field_diff(self.before, self.after)]


class ClusterPlan(_Data):
    """The Kubernetes objects a plan creates or updates (no-op entries kept for the stale check)."""

    changes: tuple[ClusterChange, ...] = ()

    @property
    def visible_changes(self) -> tuple[ClusterChange, ...]:
        return tuple(c for c in self.changes if c.action != "noop")

    @property
    def has_changes(self) -> bool:
        return bool(self.visible_changes)

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0}
        for change in self.visible_changes:
            counts[change.action] += 1
        return counts

    def summary(self) -> str:
        if not self.has_changes:
            return CLUSTER_NO_CHANGES
        c = self.counts()
        return f"Kubernetes: {c['create']} to create, {c['update']} to update."


CLUSTER_NO_CHANGES = "Kubernetes: no changes. The namespaces, quotas and service accounts match."


def object_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", "")))


def cluster_address(project: str, domain: str, obj: Mapping[str, Any]) -> str:
    kind, _, name = object_key(obj)
    return f"{project}/{domain}/k8s/{kind}/{name}"


def comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a desired object flowctl sets: its body, and its labels and annotations."""
    meta = obj.get("metadata") or {}
    body: dict[str, Any] = {k: v for k, v in obj.items() if k not in _IGNORED_TOP_LEVEL}
    wanted_meta = {name: dict(meta[name]) for name in _COMPARED_METADATA if meta.get(name)}
    if wanted_meta:
        body["metadata"] = wanted_meta
    return body


def observed_view(observed: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """What ``observed`` holds of the fields ``desired`` sets (same shape, missing fields left out)."""
    if observed is None:
        return None
    return _subset(comparable(desired), _observed_body(observed))


def _observed_body(observed: Mapping[str, Any]) -> dict[str, Any]:
    meta = observed.get("metadata") or {}
    body: dict[str, Any] = {k: v for k, v in observed.items() if k not in _IGNORED_TOP_LEVEL}
    body["metadata"] = {name: meta.get(name) or {} for name in _COMPARED_METADATA}
    return body


def _subset(want: Mapping[str, Any], have: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in want.items():
        if key not in have:
            continue
        got = have[key]
        if isinstance(value, Mapping) and isinstance(got, Mapping):
            out[key] = _subset(value, got)
        else:
            out[key] = got
    return out


def changed_fields(desired: Mapping[str, Any], view: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Addresses of fields flowctl sets that the observed view lacks or holds differently."""
    return tuple(c.path for c in _field_diff(view, desired))


def _field_diff(view: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[FieldChange]:
    return structural_diff(dict(view) if view is not None else {}, comparable(desired))


def compute_cluster_plan(
    desired: Mapping[Scope, Sequence[Mapping[str, Any]]],
    observed: Mapping[Scope, Sequence[Mapping[str, Any]]],
) -> ClusterPlan:
    """Compare the desired objects of each project-domain with what the cluster has.

    Objects are kept in their desired order inside a project-domain (the Namespace first), and
    project-domains are sorted, so apply creates a namespace before what lives in it.
    """
    changes: list[ClusterChange] = []
    for scope in sorted(desired):
        project, domain = scope
        live = {object_key(o): o for o in observed.get(scope, ())}
        for obj in desired[scope]:
            kind, namespace, name = object_key(obj)
            view = observed_view(live.get((kind, namespace, name)), obj)
            fields = changed_fields(obj, view)
            action: ClusterAction = "create" if view is None else "update" if fields else "noop"
            changes.append(ClusterChange(
                address=cluster_address(project, domain, obj), action=action, project=project, domain=domain,
                kind=kind, namespace=namespace or None, name=name, before=view,
                after=json.loads(json.dumps(obj)), changed_fields=fields))
    return ClusterPlan(changes=tuple(changes))


def moved_objects(plan: ClusterPlan, observed_now: Mapping[str, Mapping[str, Any] | None]) -> list[str]:
    """Lines naming the objects whose cluster state differs from what the plan saw.

    ``observed_now`` maps each change's address to the object read again (None when missing).
    """
    lines: list[str] = []
    for change in plan.changes:
        now = observed_view(observed_now.get(change.address), change.after)
        if now == change.before:
            continue
        if change.before is None:
            lines.append(f"{change.address}: created on the cluster since the plan was made")
        elif now is None:
            lines.append(f"{change.address}: deleted from the cluster since the plan was made")
        else:
            moved = structural_diff(change.before, now)
            detail = ", ".join(f"{c.path} was {json.dumps(c.before)}, is now {json.dumps(c.after)}" for c in moved[:5])
            lines.append(f"{change.address}: changed on the cluster since the plan was made ({detail})")
    return lines


# ---------------------------------------------------------------------- rendering (pure, from JSON)
def render_cluster_json(plan: ClusterPlan) -> list[dict[str, Any]]:
    """The ``cluster_changes`` list of the plan document (no-op objects left out)."""
    items = []
    for change in plan.visible_changes:
        item = change.model_dump(mode="json")
        item["symbol"] = change.symbol
        item["fields"] = [{"path": p, "before": b, "after": a} for p, b, a in change.field_changes()]
        items.append(item)
    return items


def cluster_summary(items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return CLUSTER_NO_CHANGES
    create = sum(1 for i in items if i["action"] == "create")
    update = sum(1 for i in items if i["action"] == "update")
    return f"Kubernetes: {create} to create, {update} to update."


def _change_lines(item: Mapping[str, Any], indent: str = "  ") -> list[str]:
    what = "created" if item["action"] == "create" else "updated in place"
    lines = [f"{indent}# {item['address']} will be {what}",
             f"{indent}{item['symbol']} {item['kind']} \"{item['address']}\" {{"]
    rows = item["fields"]
    width = max((len(r["path"]) for r in rows), default=0)
    for row in rows:
        after = json.dumps(row["after"], sort_keys=True, ensure_ascii=False)
        if row["before"] is None:
            lines.append(f"{indent * 3}+ {row['path']:<{width}} = {after}")
        else:
            before = json.dumps(row["before"], sort_keys=True, ensure_ascii=False)
            lines.append(f"{indent * 3}~ {row['path']:<{width}} = {before} -> {after}")
    lines.append(f"{indent * 2}}}")
    return lines


def render_cluster_text(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """The "Kubernetes objects" section of the human plan (empty without changes)."""
    if not items:
        return []
    actions = [a for a in ("create", "update") if any(i["action"] == a for i in items)]
    lines = ["Kubernetes objects (provider kubernetes) are indicated with the following symbols:"]
    lines += [f"  {_SYMBOLS[a]} {_LEGENDS[a]}" for a in actions]
    lines += ["", "flowctl apply will make these changes on the cluster:", ""]
    for item in items:
        lines += [*_change_lines(item), ""]
    return lines


def render_cluster_markdown(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """A collapsible "Kubernetes objects" block for the pull-request comment."""
    if not items:
        return []
    lines = [f"<details><summary><b>Kubernetes objects</b>: {cluster_summary(items).removeprefix('Kubernetes: ')}"
             "</summary>", "", "```diff"]
    for item in items:
        for line in _change_lines(item):
            stripped = line.lstrip()
            lines.append(("!" if stripped[:1] == "~" else stripped[0] if stripped[:1] == "+" else " ") + line)
    return [*lines, "```", "", "</details>", ""]
