"""The Kubernetes side of ``flowctl plan`` and ``apply`` (reads and writes the cluster).

With ``provider.name = kubernetes`` each project-domain of the manifests gets a Namespace,
ResourceQuota, ServiceAccount and LimitRange. Planning reads what the API server has and
compares it (``plans._cluster``, pure); apply re-reads, refuses when the cluster moved since the
plan, then creates or merge-patches. With the local provider none of this runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from flowctl._address import Address
from flowctl._config import Config
from flowctl._errors import ApplyError, Diagnostic, ProviderError
from flowctl.plans._cluster import ClusterPlan, Scope, compute_cluster_plan, moved_objects
from flowctl.spec import DesiredState

if TYPE_CHECKING:
    from flowctl.providers.kubernetes import KubeClient, KubernetesSettings


_A = TypeVar("_A")
_R = TypeVar("_R")


def enabled(config: Config) -> bool:
    return (config.get("provider.name") or "local") == "kubernetes"


def scopes(desired: DesiredState, targets: Sequence[Address] = ()) -> list[Scope]:
    """Every project-domain the manifests declare (limited to ``targets`` when given)."""
    found: set[Scope] = set()
    for project in desired.projects:
        found |= {(project.name, domain) for domain in project.domains}
    found |= {(s.project, s.domain) for s in desired.domain_settings}
    if targets:
        found = {s for s in found if any(t.project == s[0] and t.domain in (None, s[1]) for t in targets)}
    return sorted(found)


def scope_settings(settings: KubernetesSettings, desired: DesiredState, scope: Scope) -> KubernetesSettings:
    """The settings of one project-domain: its declared service account names the ServiceAccount, its
    declared requests/limits are the defaults of its LimitRange."""
    for item in desired.domain_settings:
        if (item.project, item.domain) == scope:
            return settings.for_domain(item.model_dump(mode="json"))
    return settings


def plan_cluster(config: Config, desired: DesiredState, targets: Sequence[Address] = ()) -> ClusterPlan | None:
    """The cluster plan for the manifests, or None with a provider other than kubernetes."""
    if not enabled(config):
        return None
    from flowctl.providers.kubernetes import KubernetesSettings, desired_namespace_objects, read_object
    from flowctl.providers.kubernetes._settings import check_blob_store

    base = KubernetesSettings.from_config(config)
    check_blob_store(base, config.blob_store_url)
    wanted: dict[Scope, list[dict[str, Any]]] = {}
    for scope in scopes(desired, targets):
        wanted[scope] = desired_namespace_objects(*scope, scope_settings(base, desired, scope))
    observed: dict[Scope, list[dict[str, Any]]] = {}
    with _client(base) as client:
        for scope, objects in wanted.items():
            observed[scope] = [o for obj in objects if (o := _guard(read_object, obj, client)) is not None]
    return compute_cluster_plan(wanted, observed)


def _reread(plan: ClusterPlan, client: KubeClient) -> dict[str, Any]:
    from flowctl.providers.kubernetes import read_object

    return {c.address: _guard(read_object, c.after, client) for c in plan.changes}


def _refuse_moved(plan: ClusterPlan, client: KubeClient) -> None:
    moved = moved_objects(plan, _reread(plan, client))
    if moved:
        raise ApplyError(diagnostics=[Diagnostic(
            f"Plan is stale: {len(moved)} Kubernetes object(s) changed on the cluster after this plan was made",
            "\n".join([*moved[:20], "Run `flowctl plan` again and apply the new plan."]))])


def check_cluster_fresh(plan: ClusterPlan, config: Config) -> None:
    """Read the plan's objects again; refuse (naming them) when the cluster moved since the plan."""
    from flowctl.providers.kubernetes import KubernetesSettings

    with _client(KubernetesSettings.from_config(config)) as client:
        _refuse_moved(plan, client)


def apply_cluster(plan: ClusterPlan, config: Config, *, on_event: Callable[[dict[str, Any]], None]) -> list[str]:
    """Re-read the plan's objects, refuse when the cluster moved, then create or merge-patch them in
    plan order (a namespace before what lives in it). Returns ``created: Kind/ns/name`` lines."""
    from flowctl.providers.kubernetes import KubernetesSettings, apply_objects

    visible = plan.visible_changes
    with _client(KubernetesSettings.from_config(config)) as client:
        _refuse_moved(plan, client)
        if not visible:
            return []
        on_event({"type": "cluster_apply_start", "changes": len(visible)})
        done = _guard(apply_objects, [c.after for c in visible], client)
    lines = []
    for (address, applied), change in zip(done, visible, strict=True):
        action = "created" if applied == "created" else "updated"
        on_event({"type": "cluster_apply_progress", "action": action, "address": change.address, "object": address})
        lines.append(f"{action}: {address}")
    return lines


class _client:  # a context manager used like a function
    def __init__(self, settings: KubernetesSettings) -> None:
        from flowctl.providers.kubernetes import KubeClient

        self.client = KubeClient(settings)

    def __enter__(self) -> KubeClient:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()


def _guard(call: Callable[[_A, KubeClient], _R], arg: _A, client: KubeClient) -> _R:
    """``call(arg, client)``; an unreachable API server becomes one error naming its URL and the fix."""
    from flowctl.providers.kubernetes import KubernetesApiError
    from flowctl.providers.kubernetes._client import CONNECTION_ERROR

    try:
        return call(arg, client)
    except KubernetesApiError as exc:
        if exc.status != CONNECTION_ERROR:
            raise
        url = _server_url(client)
        raise ProviderError(
            f"Cannot reach the Kubernetes API server at {url}",
            detail=f"{exc.server_message}\nThe kubernetes provider (provider.name = kubernetes) plans and applies the "
            "namespace, quota and service account of each project-domain, so `flowctl plan` and `apply` read the "
            "cluster. Check that the cluster is up and the kubeconfig points at it (KUBECONFIG, "
            "provider.kubernetes.kubeconfig / .context, FLOWCTL_KUBE_CONTEXT), or set FLOWCTL_PROVIDER=local "
            "to plan the registry only.") from None


def _server_url(client: KubeClient) -> str:
    try:
        return str(client.api_client.configuration.host)
    except Exception:  # the kubeconfig itself could not be loaded
        return "(unknown: the kubeconfig could not be loaded)"
