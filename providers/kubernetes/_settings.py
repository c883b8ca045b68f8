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
        )


def _optional(config: Config, key: str) -> str | None:
    try:
        return config.get(key)
    except KeyError:
        return None
