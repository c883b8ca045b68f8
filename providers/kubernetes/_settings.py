"""Settings of the Kubernetes provider, resolved once from flowctl's configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flowctl.providers.kubernetes._names import namespace_name

if TYPE_CHECKING:
    from flowctl._config import Config

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "flowctl"
LABEL_PREFIX = "flowctl.io/"
TASK_SERVICE_ACCOUNT = "flowctl-task"


@dataclass(frozen=True)
class KubernetesSettings:
    """What the provider, the Job renderer and the namespace renderer need.

    ``template_dir`` overrides the packaged Jinja2 templates: ``{dir}/{project}/{domain}/NAME``,
    then ``{dir}/{project}/NAME``, then ``{dir}/NAME``, then the packaged ``NAME``.
    """

    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool | None = None  # None: in-cluster when running in a pod, else kubeconfig
    default_image: str | None = None
    namespace_template: str = "{project}-{domain}"
    template_dir: Path | None = None
    service_account: str = TASK_SERVICE_ACCOUNT
    ttl_seconds_after_finished: int = 3600
    entrypoint: tuple[str, ...] = ("python", "-m", "flowctl.entrypoint")
    # namespace objects
    quota: dict[str, str] = field(default_factory=lambda: {"requests.cpu": "16", "requests.memory": "64Gi"})
    limit_range: dict[str, str] | None = None  # default container limits, e.g. {"cpu": "1", "memory": "1Gi"}
    # the API client
    max_retries: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 10.0
    request_timeout: float = 30.0
    watch_timeout_seconds: int = 60
    # interruptible=True tasks (preemptible / spot capacity)
    interruptible_tolerations: tuple[dict[str, str], ...] = (
        {"key": "flowctl.io/interruptible", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
    )
    interruptible_node_selector: dict[str, str] = field(default_factory=dict)

    def namespace(self, project: str, domain: str) -> str:
        return namespace_name(self.namespace_template, project, domain)

    @classmethod
    def from_config(cls, config: Config) -> KubernetesSettings:
        """``provider.kubernetes.*`` settings; the template folder comes from
        ``provider.kubernetes.templates`` when the configuration knows it, else ``FLOWCTL_KUBE_TEMPLATES``."""
        templates = _optional(config, "provider.kubernetes.templates") or os.environ.get("FLOWCTL_KUBE_TEMPLATES")
        template_dir = Path(templates) if templates else None
        if template_dir is not None and not template_dir.is_absolute():
            template_dir = config.root / template_dir
        kubeconfig = config.get("provider.kubernetes.kubeconfig")
        return cls(
            kubeconfig=kubeconfig,
            context=config.get("provider.kubernetes.context"),
            default_image=config.get("provider.kubernetes.default_image"),
            namespace_template=config.get("provider.kubernetes.namespace") or "{project}-{domain}",
            template_dir=template_dir,
            interruptible_tolerations=parse_tolerations(_optional(config, "provider.kubernetes.interruptible_toleration")),
            interruptible_node_selector=parse_selector(_optional(config, "provider.kubernetes.interruptible_node_selector")),
        )


def parse_tolerations(text: str | None) -> tuple[dict[str, str], ...]:
    """``key=value:Effect`` (kubectl taint syntax; ``key:Effect`` tolerates any value), comma separated."""
    from flowctl._errors import ManifestError

    found = []
    for item in (text or "").split(","):
        if not item.strip():
            continue
        head, colon, effect = item.strip().rpartition(":")
        key, eq, value = head.partition("=")
        if not colon or not key or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ManifestError(f"Invalid interruptible toleration {item!r}",
                                detail="Write key=value:Effect, e.g. cloud.google.com/gke-spot=true:NoSchedule.")
        toleration = {"key": key, "operator": "Equal" if eq else "Exists", "effect": effect}
        if eq:
            toleration["value"] = value
        found.append(toleration)
    return tuple(found)


def parse_selector(text: str | None) -> dict[str, str]:
    """``key=value,key2=value2`` as a node selector."""
    from flowctl._errors import ManifestError

    selector = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, eq, value = item.strip().partition("=")
        if not eq or not key:
            raise ManifestError(f"Invalid interruptible node selector {item!r}", detail="Write key=value[,key=value].")
        selector[key] = value
    return selector


def _optional(config: Config, key: str) -> str | None:
    try:
        return config.get(key)
    except KeyError:
        return None
