"""Read the cluster side of drift through the kubernetes provider (reads only).

For each managed project-domain: the objects an apply would create there
(``desired_namespace_objects``), what the API server has of them (``read_objects``) plus every other
flowctl-labelled object of those kinds (extra ones), and flowctl's Jobs. The registry says which
Jobs it accounts for (:func:`registry_jobs`), so a running Job that none of its attempts owns is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from flowctl.plans.drift._cluster import ClusterNamespaceView, ClusterView, object_key

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
    registry_jobs: frozenset[str],
    domain_settings: Mapping[tuple[str, str], Mapping[str, Any] | None] | None = None,
) -> ClusterView:
    """The cluster view of ``scopes``; ``registry_jobs`` are the ``namespace/job`` the registry accounts for;
    ``domain_settings`` are the registry's settings of each project-domain (service account,
    default requests/limits of its LimitRange)."""
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
    return ClusterView(tuple(views), registry_jobs)


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
    recorded it: the next controller adopts that Job), and those of ended attempts still awaiting
    the cleanup that follows their pass's write (``accounted_attempts`` says which)."""
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
            return read_cluster_view(client, settings, scopes, registry_jobs(registry_url, settings),
                                     registry_domain_settings(registry_url, scopes))
        finally:
            client.close()

    return read
