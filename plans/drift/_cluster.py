"""Cluster drift (pure): flowctl's per project-domain objects and Jobs, desired vs live.

The CLI fills a :class:`ClusterView` from the kubernetes provider (the objects an apply would
create, ``desired_namespace_objects``, and what the API server has, ``read_objects``); this
module only compares plain Kubernetes dicts. Only objects labelled as flowctl's are judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl._structdiff import structural_diff
from flowctl.plans._cluster import comparable, observed_view
from flowctl.plans.drift._model import Finding, FindingKind

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "flowctl"

ObjectKey = tuple[str, str, str]  # kind, namespace ("" for cluster-scoped), name


@dataclass(frozen=True)
class ClusterNamespaceView:
    """One project-domain: what an apply would create there, and what the cluster has."""

    project: str
    domain: str
    desired: tuple[dict[str, Any], ...]
    live: tuple[dict[str, Any], ...]
    jobs: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ClusterView:
    """The cluster as seen by the provider; ``registry_jobs`` holds the Jobs the registry accounts
    for, as ``namespace/name``: those of active attempts (recorded handle or not) and those of ended
    attempts whose cleanup is not recorded yet."""

    namespaces: tuple[ClusterNamespaceView, ...]
    registry_jobs: frozenset[str] = field(default_factory=frozenset)


def object_key(obj: Mapping[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", "")))


def is_flowctl_object(obj: Mapping[str, Any]) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == MANAGED_BY_VALUE)


def cluster_findings(view: ClusterView) -> Iterator[Finding]:
    for namespace in view.namespaces:
        yield from _namespace_findings(namespace)
        yield from _job_findings(namespace, view.registry_jobs)


def _address(ns: ClusterNamespaceView, key: ObjectKey) -> str:
    return f"{ns.project}/{ns.domain}/cluster/{key[0]}/{key[2]}"


def _namespace_findings(ns: ClusterNamespaceView) -> Iterator[Finding]:
    desired = {object_key(o): o for o in ns.desired}
    live = {object_key(o): o for o in ns.live}
    kinds = {key[0] for key in desired}
    for key, want in sorted(desired.items()):
        have = live.get(key)
        where = f"{key[0]} `{key[2]}`" + (f" in namespace `{key[1]}`" if key[1] else "")
        if have is None:
            yield Finding(
                FindingKind.CLUSTER_OBJECT_MISSING,
                _address(ns, key),
                before=comparable(want),
                after=None,
                detail=f"{where} was deleted; `flowctl apply` recreates it.",
                severity="error",
                project=ns.project,
                domain=ns.domain,
            )
            continue
        # Only what the desired object sets is compared: the API server adds defaults and status.
        moved = structural_diff(comparable(want), observed_view(have, want))
        if moved:
            before = {c.path: c.before for c in moved}
            after = {c.path: c.after for c in moved}
            yield Finding(
                FindingKind.CLUSTER_OBJECT_CHANGED,
                _address(ns, key),
                before=before,
                after=after,
                detail=f"{where} was edited on the cluster; `flowctl apply` restores it.",
                severity="error",
                project=ns.project,
                domain=ns.domain,
            )
    for key, have in sorted(live.items()):
        if key in desired or key[0] not in kinds or not is_flowctl_object(have):
            continue
        yield Finding(
            FindingKind.CLUSTER_OBJECT_EXTRA,
            _address(ns, key),
            before=None,
            after=comparable(have),
            detail=f"{key[0]} `{key[2]}` carries flowctl's label but no apply declares it.",
            severity="warning",
            project=ns.project,
            domain=ns.domain,
        )


def unaccounted_jobs(jobs: Iterable[Mapping[str, Any]], registry_jobs: frozenset[str]) -> list[Mapping[str, Any]]:
    """flowctl's running Jobs that the registry does not account for, by name."""
    found = []
    for job in sorted(jobs, key=object_key):
        key = object_key(job)
        if is_flowctl_object(job) and f"{key[1]}/{key[2]}" not in registry_jobs and not _job_finished(job):
            found.append(job)
    return found


def _job_findings(ns: ClusterNamespaceView, registry_jobs: frozenset[str]) -> Iterator[Finding]:
    for job in unaccounted_jobs(ns.jobs, registry_jobs):
        key = object_key(job)
        labels = (job.get("metadata") or {}).get("labels") or {}
        attempt = {k.rsplit("/", 1)[-1]: v for k, v in sorted(labels.items()) if k.startswith("flowctl")}
        yield Finding(
            FindingKind.ORPHANED_JOB,
            _address(ns, key),
            before=None,
            after={"job": key[2], "namespace": key[1], "labels": attempt},
            detail=f"Job `{key[2]}` is still running but no attempt in the registry accounts for it; "
            "delete it or check the controller.",
            severity="warning",
            project=ns.project,
            domain=ns.domain,
        )


def _job_finished(job: Mapping[str, Any]) -> bool:
    status = job.get("status") or {}
    conditions = status.get("conditions") or []
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions)
