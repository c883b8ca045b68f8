"""Per project-domain objects (Namespace, ResourceQuota, ServiceAccount, LimitRange) and the
controller's own objects, rendered from Jinja2 templates; applied by create-or-patch; read back for drift.

``desired_namespace_objects`` is pure (plans show its output); ``apply_objects`` and ``read_objects``
talk to the API through a :class:`KubeClient`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from flowctl.providers.kubernetes._client import KubeClient, KubernetesApiError
from flowctl.providers.kubernetes._names import label_value
from flowctl.providers.kubernetes._render import render_documents
from flowctl.providers.kubernetes._settings import (
    LABEL_PREFIX,
    MANAGED_BY,
    MANAGED_BY_VALUE,
    KubernetesSettings,
)

NAMESPACE_TEMPLATES = ("namespace.yaml.j2", "resourcequota.yaml.j2", "serviceaccount.yaml.j2", "limitrange.yaml.j2")
ApplyAction = Literal["created", "patched"]


def desired_namespace_objects(project: str, domain: str, settings: KubernetesSettings) -> list[dict[str, Any]]:
    """The Namespace, ResourceQuota, ServiceAccount and LimitRange (default requests/limits, left out
    when both are empty) of a project-domain."""
    namespace = settings.namespace(project, domain)
    variables = {
        "project": project,
        "domain": domain,
        "namespace": namespace,
        "labels": {MANAGED_BY: MANAGED_BY_VALUE, LABEL_PREFIX + "project": label_value(project),
                   LABEL_PREFIX + "domain": label_value(domain)},
        "quota": settings.quota,
        "default_requests": settings.default_requests,
        "default_limits": settings.default_limits,
        "service_account": settings.service_account,
        "settings": settings,
    }
    objects: list[dict[str, Any]] = []
    for name in NAMESPACE_TEMPLATES:
        objects += render_documents(name, variables, template_dir=settings.template_dir, project=project, domain=domain)
    return objects


def controller_objects(settings: KubernetesSettings, *, namespace: str = "flowctl-system", image: str | None = None,
                       registry_secret: str = "flowctl-registry", registry_secret_key: str = "url",
                       blob_store: str = "s3://my-bucket/flowctl") -> list[dict[str, Any]]:
    """The controller's ServiceAccount, least-privilege ClusterRole + binding, and Deployment."""
    variables = {
        "namespace": namespace,
        "image": image or settings.default_image or "ghcr.io/example/flowctl:latest",
        "registry_secret": registry_secret,
        "registry_secret_key": registry_secret_key,
        "blob_store": blob_store,
        "labels": {MANAGED_BY: MANAGED_BY_VALUE, "app.kubernetes.io/name": "flowctl-controller"},
    }
    return render_documents("controller.yaml.j2", variables, template_dir=settings.template_dir)


@dataclass(frozen=True)
class _Api:
    resource: str
    create: Callable[..., Any]
    patch: Callable[..., Any]
    read: Callable[..., Any]
    namespaced: bool


def _api(client: KubeClient, kind: str) -> _Api:
    core = client.core()
    if kind == "Namespace":
        return _Api("namespaces", core.create_namespace, core.patch_namespace, core.read_namespace, False)
    suffix = {"ResourceQuota": ("resourcequotas", "resource_quota"), "ServiceAccount": ("serviceaccounts", "service_account"),
              "LimitRange": ("limitranges", "limit_range")}.get(kind)
    if suffix is None:
        raise ValueError(f"apply_objects does not handle kind {kind}")
    resource, snake = suffix
    return _Api(resource, getattr(core, f"create_namespaced_{snake}"), getattr(core, f"patch_namespaced_{snake}"),
                getattr(core, f"read_namespaced_{snake}"), True)


def apply_objects(objects: list[dict[str, Any]], client: KubeClient) -> list[tuple[str, ApplyAction]]:
    """Create each object, or merge-patch it when it exists. Returns ``("Kind/namespace/name", action)``.

    Raises KubernetesApiError (a ProviderError with the fix) when the API refuses.
    """
    done: list[tuple[str, ApplyAction]] = []
    for obj in objects:
        meta = obj["metadata"]
        name, namespace = meta["name"], meta.get("namespace")
        api = _api(client, obj["kind"])
        ns_args = (namespace,) if api.namespaced else ()
        address = "/".join(p for p in (obj["kind"], namespace, name) if p)
        try:
            client.call("create", api.resource, api.create, *ns_args, obj, namespace=namespace, name=name)
            done.append((address, "created"))
        except KubernetesApiError as exc:
            if exc.status != 409:
                raise
            client.call("patch", api.resource, api.patch, name, *ns_args, obj, namespace=namespace, name=name,
                        _content_type="application/merge-patch+json")
            done.append((address, "patched"))
    return done


def read_object(desired: dict[str, Any], client: KubeClient) -> dict[str, Any] | None:
    """What the cluster has of one object (by kind, namespace and name); None when it does not exist."""
    meta = desired["metadata"]
    api = _api(client, desired["kind"])
    args = (meta["name"], meta["namespace"]) if api.namespaced else (meta["name"],)
    try:
        obj: dict[str, Any] = client.call("get", api.resource, api.read, *args, namespace=meta.get("namespace"),
                                          name=meta["name"])
    except KubernetesApiError as exc:
        if exc.status == 404:
            return None
        raise
    obj.setdefault("apiVersion", desired["apiVersion"])
    obj.setdefault("kind", desired["kind"])
    return obj


def read_objects(project: str, domain: str, client: KubeClient, settings: KubernetesSettings) -> list[dict[str, Any]]:
    """What the cluster has of the project-domain's desired objects (missing ones are left out), for drift."""
    found: list[dict[str, Any]] = []
    for desired in desired_namespace_objects(project, domain, settings):
        obj = read_object(desired, client)
        if obj is not None:
            found.append(obj)
    return found
