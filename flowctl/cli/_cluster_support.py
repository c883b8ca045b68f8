"""The Kubernetes side of ``flowctl plan`` and ``apply`` (reads and writes the cluster).

With ``provider.name = kubernetes`` each project-domain of the manifests gets a Namespace,
ResourceQuota, ServiceAccount and optional LimitRange. Planning reads what the API server has and
compares it (``plans._cluster``, pure); apply re-reads, refuses when the cluster moved since the
plan, then creates or merge-patches. With the local provider none of this runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flowctl._address import Address
from flowctl._config import Config
from flowctl._errors import ApplyError, Diagnostic, ProviderError
from flowctl.plans._cluster import ClusterPlan, Scope, compute_cluster_plan, moved_objects
from flowctl.spec import DesiredState

if TYPE_CHECKING:
    from flowctl.providers.kubernetes import KubeClient, KubernetesSettings


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
    """The settings of one project-domain: its declared service account names the ServiceAccount."""
    for item in desired.domain_settings:
        if (item.project, item.domain) == scope and item.service_account:
            return dataclasses.replace(settings, service_account=item.service_account)
    return settings


def plan_cluster(config: Config, desired: DesiredState, targets: Sequence[Address] = ()) -> ClusterPlan | None:
    """The cluster plan for the manifests, or None with a provider other than kubernetes."""
    if not enabled(config):
        return None
    from flowctl.providers.kubernetes import KubernetesSettings, desired_namespace_objects, read_object

    base = KubernetesSettings.from_config(config)
    wanted: dict[Scope, list[dict[str, Any]]] = {}
    for scope in scopes(desired, targets):
        wanted[scope] = desired_namespace_objects(*scope, scope_settings(base, desired, scope))
    observed: dict[Scope, list[dict[str, Any]]] = {}
    with _client(base) as client:
        for scope, objects in wanted.items():
            observed[scope] = [o for obj in objects if (o := _guard(client, lambda c, d=obj: read_object(d, c)))]
    return compute_cluster_plan(wanted, observed)


def apply_cluster(plan: ClusterPlan, config: Config, *, on_event: Callable[[dict[str, Any]], None]) -> list[str]:
    """Re-read the plan's objects, refuse when the cluster moved, then create or patch. Returns lines."""
    from flowctl.providers.kubernetes import KubernetesSettings, apply_objects, read_object

    settings = KubernetesSettings.from_config(config)
    with _client(settings) as client:
        now = {c.address: _guard(client, lambda cl, d=c.after: read_object(d, cl)) for c in plan.changes}
        moved = moved_objects(plan, now)
        if moved:
            raise ApplyError(diagnostics=[Diagnostic(
                f"Plan is stale: {len(moved)} Kubernetes object(s) changed after this plan was made",
                "\n".join([*moved[:20], "Run `flowctl plan` again and apply the new plan."]))])
        visible = plan.visible_changes
        if not visible:
            return []
        on_event({"type": "cluster_apply_start", "changes": len(visible)})
        done = _guard(client, lambda cl: apply_objects([c.after for c in visible], cl))
    lines = []
    for (address, action), change in zip(done, visible, strict=True):
        on_event({"type": "cluster_apply_progress", "action": action, "address": change.address, "object": address})
        lines.append(f"{action}: {address}")
    return lines


class _client:  # noqa: N801 - a context manager used like a function
    def __init__(self, settings: KubernetesSettings) -> None:
        from flowctl.providers.kubernetes import KubeClient

        self.client = KubeClient(settings)

    def __enter__(self) -> KubeClient:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()


def _guard(client: KubeClient, call: Callable[[KubeClient], Any]) -> Any:
    """Run ``call``; an unreachable API server becomes one error naming its URL and the fix."""
    from flowctl.providers.kubernetes import KubernetesApiError
    from flowctl.providers.kubernetes._client import CONNECTION_ERROR

    try:
        return call(client)
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
