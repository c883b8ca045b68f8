"""Read the cluster side of drift through the kubernetes provider (reads only).

For each managed project-domain: the objects an apply would create there
(``desired_namespace_objects``), what the API server has of them (``read_objects``) plus every other
flowctl-labelled object of those kinds (extra ones), and flowctl's Jobs. The registry says which
Jobs it accounts for (:func:`registry_jobs`), so a running Job that none of its attempts owns is reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowctl.plans.drift._cluster import ClusterNamespaceView, ClusterView, object_key, unaccounted_jobs

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.providers.kubernetes import KubernetesSettings
    from flowctl.providers.kubernetes._client import KubeClient

_SELECTOR = "app.kubernetes.io/managed-by=flowctl"
_LISTED = (  # kind, resource, CoreV1Api list method
    ("ResourceQuota", "resourcequotas", "list_namespaced_resource_quota"),
    ("ServiceAccount", "serviceaccounts", "list_namespaced_service_account"),
    ("LimitRange", "limitranges", "list_namespaced_limit_range"),
)


def read_cluster_view(
    client: KubeClient,
    settings: KubernetesSettings,
    scopes: Sequence[tuple[str, str]],
    registry_jobs: Callable[[], frozenset[str]],
    domain_settings: Mapping[tuple[str, str], Mapping[str, Any] | None] | None = None,
) -> ClusterView:
    """The cluster view of ``scopes``; ``registry_jobs`` reads the ``namespace/job`` the registry
    accounts for; ``domain_settings`` are the registry's settings of each project-domain (service
    account, default requests/limits of its LimitRange).

    The Jobs are listed before the registry is read: a Job listed was created after its attempt's
    row, so that read knows the attempt. A Job that the read no longer accounts for is read again:
    its attempt may have ended, and its Job been removed, since the listing."""
    from flowctl.providers.kubernetes import desired_namespace_objects, read_objects

    views = []
    for project, domain in scopes:
        scoped = settings.for_domain((domain_settings or {}).get((project, domain)))
        namespace = scoped.namespace(project, domain)
        desired = desired_namespace_objects(project, domain, scoped)
        live = {object_key(o): o for o in read_objects(project, domain, client, scoped)}
        for kind, resource, method in _LISTED:
            for obj in _list(client, client.core(), method, resource, namespace, kind, "v1"):
                live.setdefault(object_key(obj), obj)
        jobs = _list(client, client.batch(), "list_namespaced_job", "jobs", namespace, "Job", "batch/v1")
        views.append(ClusterNamespaceView(project, domain, tuple(desired), tuple(live.values()), tuple(jobs)))
    accounted = registry_jobs()
    return ClusterView(tuple(_recheck(client, view, accounted) for view in views), accounted)


def _recheck(client: KubeClient, view: ClusterNamespaceView, accounted: frozenset[str]) -> ClusterNamespaceView:
    """``view`` with each Job that ``accounted`` leaves unowned as the API server has it now (gone: dropped)."""
    suspects = {object_key(job) for job in unaccounted_jobs(view.jobs, accounted)}
    if not suspects:
        return view
    jobs = []
    for job in view.jobs:
        key = object_key(job)
        fresh = _get_job(client, key[1], key[2]) if key in suspects else job
        if fresh is not None:
            jobs.append(fresh)
    return dataclasses.replace(view, jobs=tuple(jobs))


def _get_job(client: KubeClient, namespace: str, name: str) -> dict[str, Any] | None:
    from flowctl.providers.kubernetes import KubernetesApiError

    try:
        job: dict[str, Any] = client.call("get", "jobs", client.batch().read_namespaced_job, name, namespace,
                                          namespace=namespace, name=name)
    except KubernetesApiError as exc:
        if exc.status == 404:  # cleaned up since the listing
            return None
        raise
    job.setdefault("kind", "Job")
    job.setdefault("apiVersion", "batch/v1")
    return job


def _list(
    client: KubeClient, api: Any, method: str, resource: str, namespace: str, kind: str, api_version: str
) -> list[dict[str, Any]]:
    from flowctl.providers.kubernetes import KubernetesApiError

    try:
        body = client.call(
            "list", resource, getattr(api, method), namespace, namespace=namespace, label_selector=_SELECTOR
        )
    except KubernetesApiError as exc:
        if exc.status == 404:  # the namespace itself is gone: reported as a missing Namespace
            return []
        raise
    items: list[dict[str, Any]] = list(body.get("items") or [])
    for item in items:
        item.setdefault("kind", kind)
        item.setdefault("apiVersion", api_version)
    return items


def registry_jobs(url: str, settings: KubernetesSettings) -> frozenset[str]:
    """``namespace/job`` of every Job the registry accounts for, read in one query: those of active
    attempts (by their handle, or by the Job's deterministic name when a killed controller never
    recorded it: the next controller adopts that Job), and those of ended attempts whose cleanup is not
    recorded yet (``attempts.cleaned_at``: their pass's, or a controller's recovery sweep, runs it)."""
    from flowctl.providers._interface import AttemptRef
    from flowctl.state._executions import open_execution_store

    executions = open_execution_store(url, create=False)
    try:
        attempts = executions.accounted_attempts("kubernetes")
    finally:
        executions.close()
    return frozenset(
        a.handle or settings.job_handle(AttemptRef(a.project, a.domain, a.execution, a.node_id, a.attempt))
        for a in attempts
    )


def registry_domain_settings(
    url: str, scopes: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Mapping[str, Any] | None]:
    """The settings the last apply stored for each project-domain."""
    from flowctl.state._executions import open_execution_store

    executions = open_execution_store(url, create=False)
    try:
        return {scope: executions.domain_settings(*scope) for scope in scopes}
    finally:
        executions.close()


def cluster_reader_from_config(config: Config, registry_url: str) -> Any:
    """A ``ClusterReader`` for the configured cluster (kubeconfig or in-cluster)."""
    from flowctl.providers.kubernetes import KubernetesSettings
    from flowctl.providers.kubernetes._client import KubeClient

    settings = KubernetesSettings.from_config(config)

    def read(scopes: Sequence[tuple[str, str]]) -> ClusterView:
        client = KubeClient(settings)
        try:
            return read_cluster_view(client, settings, scopes, lambda: registry_jobs(registry_url, settings),
                                     registry_domain_settings(registry_url, scopes))
        finally:
            client.close()

    return read
