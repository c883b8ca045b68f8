"""Settings of the Kubernetes provider, resolved once from flowctl's configuration."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import InputError, ProviderError
from flowctl.providers.kubernetes._names import job_name, namespace_name

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.providers._interface import AttemptRef

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "flowctl"
LABEL_PREFIX = "flowctl.io/"
TASK_SERVICE_ACCOUNT = "flowctl-task"
# flowctl's resource names -> Kubernetes' (ResourcesSpec fields and the names users may write in flowctl.toml)
RESOURCE_NAMES = {"cpu": "cpu", "mem": "memory", "memory": "memory", "gpu": "nvidia.com/gpu",
                  "ephemeral_storage": "ephemeral-storage", "ephemeral-storage": "ephemeral-storage"}


@dataclass(frozen=True)
class KubernetesSettings:
    """What the provider, the Job renderer and the namespace renderer need.

    ``template_dir`` overrides the packaged Jinja2 templates: ``{dir}/{project}/{domain}/NAME``,
    then ``{dir}/{project}/NAME``, then ``{dir}/NAME``, then the packaged ``NAME``.

    ``default_requests`` / ``default_limits`` (Kubernetes names: ``cpu``, ``memory``, ...) are the
    LimitRange of every namespace flowctl creates (``defaultRequest`` / ``default``) and what a
    task without requests/limits renders; a project-domain's manifest ``requests``/``limits``
    replace them there. Without them flowctl's own ResourceQuota refuses every such pod.
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
    default_requests: dict[str, str] = field(default_factory=lambda: {"cpu": "250m", "memory": "256Mi"})
    default_limits: dict[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "1Gi"})
    # attempts that cannot start: no pod can be created (FailedCreate), unschedulable, image not pullable
    pending_timeout_seconds: float = 60.0
    # the task's timeout is enforced by the provider (logs are copied first); the Job's
    # activeDeadlineSeconds is the backstop for when no controller watches, this much later
    deadline_grace_seconds: int = 30
    # pods get this Secret's keys as environment variables (blob store credentials); None: none
    blob_store_secret: str | None = None
    allow_local_blob_store: bool = False
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

    def job_handle(self, ref: AttemptRef) -> str:
        """``namespace/job``: where the attempt's Job is, whether or not its handle was recorded."""
        return f"{self.namespace(ref.project, ref.domain)}/{job_name(ref)}"

    def for_domain(self, domain_settings: Mapping[str, Any] | None) -> KubernetesSettings:
        """These settings for one project-domain, from its settings (DomainSettingsSpec JSON, as the
        manifest declares and the registry stores them): its ``service_account`` names the
        ServiceAccount; its ``requests``/``limits`` (flowctl names) replace the default requests and
        limits they name."""
        values = domain_settings or {}
        requests, limits = values.get("requests"), values.get("limits")
        return dataclasses.replace(
            self, service_account=str(values.get("service_account") or self.service_account),
            default_requests={**self.default_requests, **kube_resources(requests if isinstance(requests, dict) else {})},
            default_limits={**self.default_limits, **kube_resources(limits if isinstance(limits, dict) else {})})

    @classmethod
    def from_config(cls, config: Config) -> KubernetesSettings:
        """``provider.kubernetes.*`` settings; the template folder comes from
        ``provider.kubernetes.templates`` when the configuration knows it, else ``FLOWCTL_KUBE_TEMPLATES``."""
        templates = _optional(config, "provider.kubernetes.templates") or os.environ.get("FLOWCTL_KUBE_TEMPLATES")
        template_dir = Path(templates) if templates else None
        if template_dir is not None and not template_dir.is_absolute():
            template_dir = config.root / template_dir
        return cls(
            kubeconfig=config.get("provider.kubernetes.kubeconfig"),
            context=config.get("provider.kubernetes.context"),
            default_image=config.get("provider.kubernetes.default_image"),
            namespace_template=config.get("provider.kubernetes.namespace") or "{project}-{domain}",
            template_dir=template_dir,
            interruptible_tolerations=parse_tolerations(_optional(config, "provider.kubernetes.interruptible_toleration")),
            interruptible_node_selector=parse_selector(_optional(config, "provider.kubernetes.interruptible_node_selector")),
            default_requests=_resources_setting(config, "provider.kubernetes.default_requests"),
            default_limits=_resources_setting(config, "provider.kubernetes.default_limits"),
            pending_timeout_seconds=_number_setting(config, "provider.kubernetes.pending_timeout"),
            ttl_seconds_after_finished=int(_number_setting(config, "provider.kubernetes.job_ttl")),
            blob_store_secret=config.get("provider.kubernetes.blob_store_secret") or None,
            allow_local_blob_store=(config.get("provider.kubernetes.allow_local_blob_store") or "").lower()
            in ("1", "true", "yes"),
        )


def kube_resources(values: Mapping[str, Any]) -> dict[str, str]:
    """flowctl resource names (``mem``, ``ephemeral_storage``) as Kubernetes' (``memory``, ...)."""
    return {RESOURCE_NAMES.get(str(k), str(k)): str(v) for k, v in values.items() if v not in (None, "")}


def check_blob_store(settings: KubernetesSettings, blob_store_url: str) -> None:
    """Refuse a local-folder blob store: pods on other nodes cannot read the controller's folder."""
    if "://" in blob_store_url and not blob_store_url.startswith("file://"):
        return
    if settings.allow_local_blob_store:
        return
    raise ProviderError(
        f"The blob store `{blob_store_url}` is a local folder, which Kubernetes pods cannot read",
        detail="Task pods share no filesystem with the controller: code bundles, inputs, outputs, files and logs "
        "travel through the blob store. Use an object store, e.g. FLOWCTL_BLOB_STORE=s3://my-bucket/flowctl "
        "(blob_store.url in flowctl.toml, `pip install 'flowctl[s3]'`) with the pods' credentials in a Secret named by "
        "provider.kubernetes.blob_store_secret. On a single-node cluster whose pods see this folder, set "
        "provider.kubernetes.allow_local_blob_store = true (FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE=1).",
    )


def _resources_setting(config: Config, key: str) -> dict[str, str]:
    text = config.get(key) or ""
    values: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"Invalid {key} `{text}` (from {config.origin(key)})",
                             detail='Write resource=quantity pairs, e.g. "cpu=250m,memory=256Mi", '
                             'or in flowctl.toml an inline table: {cpu = "250m", memory = "256Mi"}.')
        values[name.strip()] = value.strip()
    return kube_resources(values)


def _number_setting(config: Config, key: str) -> float:
    text = config.get(key) or "0"
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise InputError(f"Invalid {key} `{text}` (from {config.origin(key)})",
                         detail="Give a number of seconds (0 or more), e.g. 60.")
    return value


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
