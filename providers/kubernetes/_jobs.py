"""One task attempt as a ``batch/v1`` Job: rendered from ``job.yaml.j2`` plus the task's pod template.

The Job runs ``python -m flowctl.entrypoint`` with the attempt's blob paths; retries stay with the
controller (``backoffLimit: 0``); secrets are referenced (``secretKeyRef``, ``envFrom`` or a secret
volume), never copied.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flowctl._errors import ProviderError
from flowctl.providers._interface import SubmitRequest
from flowctl.providers.kubernetes._names import job_name, label_value
from flowctl.providers.kubernetes._render import render_documents
from flowctl.providers.kubernetes._settings import (
    LABEL_PREFIX,
    MANAGED_BY,
    MANAGED_BY_VALUE,
    KubernetesSettings,
    kube_resources,
)

CONTAINER = "task"
OUTPUTS_URI_ANNOTATION = LABEL_PREFIX + "outputs-uri"
TIMEOUT_ANNOTATION = LABEL_PREFIX + "timeout-seconds"
_RESOURCE_KEYS = ("cpu", "mem", "gpu", "ephemeral_storage")
_ENV_INVALID = re.compile(r"[^A-Za-z0-9_]")


def attempt_labels(request: SubmitRequest) -> dict[str, str]:
    """The labels every object of an attempt carries; ``flowctl.io/*`` values are label-safe forms."""
    ref = request.ref
    labels = {k: label_value(v) for k, v in request.labels.items()}
    labels.update({k: label_value(str(v)) for k, v in _task(request).get("labels", {}).items()})
    labels.update(
        {
            MANAGED_BY: MANAGED_BY_VALUE,
            LABEL_PREFIX + "project": label_value(ref.project),
            LABEL_PREFIX + "domain": label_value(ref.domain),
            LABEL_PREFIX + "execution": label_value(ref.execution),
            LABEL_PREFIX + "node": label_value(ref.node),
            LABEL_PREFIX + "attempt": str(ref.attempt),
        }
    )
    return labels


def image_for(request: SubmitRequest, settings: KubernetesSettings) -> str:
    """The task's ``container_image``, else the project-domain default, else FLOWCTL_DEFAULT_IMAGE."""
    image = _task(request).get("container_image") or request.image or settings.default_image
    if not image:
        raise ProviderError(
            f"No container image for task {_task(request).get('name')!r} on Kubernetes",
            detail="Set one of: container_image= on the task, the project-domain's container_image, "
            "provider.kubernetes.default_image in flowctl.toml, or FLOWCTL_DEFAULT_IMAGE.",
        )
    return str(image)


def entrypoint_command(request: SubmitRequest, settings: KubernetesSettings, task_spec_uri: str) -> list[str]:
    command = [*settings.entrypoint, "--task-spec-uri", task_spec_uri, "--inputs-uri", request.inputs_uri,
               "--outputs-uri", request.outputs_uri]
    if request.bundle_uri:
        command += ["--bundle-uri", request.bundle_uri]
    return [*command, "--blob-store", request.blob_store]


def render_job(request: SubmitRequest, settings: KubernetesSettings, *, task_spec_uri: str) -> dict[str, Any]:
    """The Job object (a dict, as the API takes it) for one attempt."""
    ref = request.ref
    task = _task(request)
    env, env_from, volumes, mounts = _environment(request)
    if settings.blob_store_secret:  # the pods' blob store credentials, by reference (never the controller's)
        env_from.append({"secretRef": {"name": settings.blob_store_secret}})
    timeout = request.timeout_seconds if request.timeout_seconds is not None else task.get("timeout_seconds")
    annotations = {
        **{str(k): str(v) for k, v in task.get("annotations", {}).items()},
        **request.annotations,
        LABEL_PREFIX + "task": str(task.get("name", "")),
        LABEL_PREFIX + "execution": ref.execution,
        LABEL_PREFIX + "node": ref.node,
        OUTPUTS_URI_ANNOTATION: request.outputs_uri,
    }
    if timeout:
        annotations[TIMEOUT_ANNOTATION] = f"{float(timeout):g}"
    variables: dict[str, Any] = {
        "name": job_name(ref),
        "namespace": settings.namespace(ref.project, ref.domain),
        "labels": attempt_labels(request),
        "annotations": annotations,
        "image": image_for(request, settings),
        "command": entrypoint_command(request, settings, task_spec_uri),
        "env": env,
        "env_from": env_from,
        "resources": resources(task, request, settings),
        "volumes": volumes,
        "volume_mounts": mounts,
        "service_account": request.service_account or settings.service_account,
        # the provider enforces the timeout itself (after copying the logs); this is the backstop
        "active_deadline_seconds": math.ceil(float(timeout)) + settings.deadline_grace_seconds if timeout else None,
        "ttl_seconds_after_finished": settings.ttl_seconds_after_finished,
        "project": ref.project,
        "domain": ref.domain,
        "execution": ref.execution,
        "node": ref.node,
        "attempt": ref.attempt,
        "task": task,
    }
    docs = render_documents("job.yaml.j2", variables, template_dir=settings.template_dir,
                            project=ref.project, domain=ref.domain)
    if len(docs) != 1 or docs[0].get("kind") != "Job":
        raise ProviderError("job.yaml.j2 must render exactly one Job", detail=f"It rendered {len(docs)} objects.")
    job = docs[0]
    pod_template = task.get("pod_template")
    if isinstance(pod_template, dict) and pod_template:
        job["spec"]["template"] = merge_pod_template(pod_template, job["spec"]["template"])
    if task.get("interruptible"):
        add_interruptible(job["spec"]["template"], settings)
    return job


def add_interruptible(template: dict[str, Any], settings: KubernetesSettings) -> None:
    """``interruptible=True``: the configured toleration and node selector, and a label saying so."""
    spec = template.setdefault("spec", {})
    tolerations = spec.setdefault("tolerations", [])
    tolerations.extend(t for t in settings.interruptible_tolerations if t not in tolerations)
    if settings.interruptible_node_selector:
        spec.setdefault("nodeSelector", {}).update(settings.interruptible_node_selector)
    template.setdefault("metadata", {}).setdefault("labels", {})[LABEL_PREFIX + "interruptible"] = "true"


def resources(task: dict[str, Any], request: SubmitRequest | None = None,
              settings: KubernetesSettings | None = None) -> dict[str, dict[str, str]]:
    """``requests``/``limits``: the task's, else the project-domain's defaults, else the configured ones.

    A default never makes the pod invalid: a default limit below the task's request is raised to it,
    a default request above the task's limit is lowered to it. A GPU request is also its limit
    (Kubernetes requires it).
    """
    own = {side: kube_resources({k: v for k, v in (task.get(side) or {}).items() if k in _RESOURCE_KEYS})
           for side in ("requests", "limits")}
    defaults = {"requests": dict(settings.default_requests) if settings else {},
                "limits": dict(settings.default_limits) if settings else {}}
    if request is not None:
        defaults["requests"].update(kube_resources(request.default_requests))
        defaults["limits"].update(kube_resources(request.default_limits))
    merged = {side: {**defaults[side], **own[side]} for side in ("requests", "limits")}
    for name, wanted in own["requests"].items():
        if name in merged["limits"] and name not in own["limits"] and _exceeds(wanted, merged["limits"][name]):
            merged["limits"][name] = wanted
    for name, cap in own["limits"].items():
        if name in merged["requests"] and name not in own["requests"] and _exceeds(merged["requests"][name], cap):
            merged["requests"][name] = cap
    gpu = merged["requests"].get("nvidia.com/gpu")
    if gpu is not None:
        merged["limits"].setdefault("nvidia.com/gpu", gpu)
    return {side: values for side, values in merged.items() if values}


def _exceeds(a: str, b: str) -> bool:
    """Quantity ``a`` is larger than ``b`` (``"2"`` > ``"500m"``); unparsable values never exceed."""
    from kubernetes import utils

    parse: Any = utils.parse_quantity  # untyped
    try:
        return bool(parse(a) > parse(b))
    except ValueError:
        return False


def _environment(request: SubmitRequest) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    ref = request.ref
    task = _task(request)
    values: dict[str, str] = {**{str(k): str(v) for k, v in task.get("environment", {}).items()},
                              **request.environment}
    values.update(
        {
            "FLOWCTL_PROJECT": ref.project,
            "FLOWCTL_DOMAIN": ref.domain,
            "FLOWCTL_EXECUTION": ref.execution,
            "FLOWCTL_NODE": ref.node,
            "FLOWCTL_ATTEMPT": str(ref.attempt),
            "FLOWCTL_BLOB_STORE": request.blob_store,
        }
    )
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(values.items())]
    env_from: list[dict[str, Any]] = []
    volumes: list[dict[str, Any]] = []
    mounts: list[dict[str, Any]] = []
    for secret in task.get("secret_requests", ()):
        group, key = str(secret["group"]), secret.get("key")
        if secret.get("mount_path"):
            volume = f"secret-{len(volumes)}-{group}"[:63].rstrip("-")
            source: dict[str, Any] = {"secretName": group}
            if key:
                source["items"] = [{"key": key, "path": key}]
            volumes.append({"name": volume, "secret": source})
            mounts.append({"name": volume, "mountPath": secret["mount_path"], "readOnly": True})
        elif key:
            name = secret.get("env_var") or _ENV_INVALID.sub("_", f"FLOWCTL_SECRET_{group}_{key}").upper()
            env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": group, "key": key}}})
        else:
            env_from.append({"secretRef": {"name": group}})
    return env, env_from, volumes, mounts


def merge_pod_template(pod_template: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]:
    """The task's pod template is the base; what flowctl rendered wins.

    ``pod_template`` is a ``PodTemplate``'s JSON (``pod_spec``, ``primary_container_name``,
    ``labels``, ``annotations``), a Pod (``metadata``/``spec``) or a bare PodSpec, in the API's field
    names. Its primary container (default ``task``) is merged into flowctl's container by name;
    other containers (sidecars) are kept. A field the API does not know is an error, not dropped.
    """
    template = dict(pod_template)
    primary = str(template.pop("primary_container_name", template.pop("primaryContainerName", CONTAINER)))
    if "pod_spec" in template:
        template = {"spec": template.get("pod_spec") or {},
                    "metadata": {k: template[k] for k in ("labels", "annotations") if template.get(k)}}
    elif "spec" not in template and "metadata" not in template:
        template = {"spec": template}
    spec = dict(template.get("spec") or {})
    check_api_fields(spec)
    containers = []
    for container in spec.get("containers", []) or []:
        container = dict(container)
        if container.get("name") == primary:
            container["name"] = CONTAINER
        containers.append(container)
    spec["containers"] = containers
    base = {"metadata": template.get("metadata") or {}, "spec": spec}
    merged: dict[str, Any] = _merge(base, rendered)
    return merged


def check_api_fields(spec: dict[str, Any]) -> None:
    """Every key of the pod spec and of its containers is a Kubernetes API field name."""
    from kubernetes.client import V1Container, V1PodSpec

    problems = _unknown(spec, V1PodSpec.attribute_map, "pod_spec")
    for i, container in enumerate([*(spec.get("containers") or []), *(spec.get("initContainers") or [])]):
        problems += _unknown(container, V1Container.attribute_map, f"container {container.get('name') or i}")
    if problems:
        raise ProviderError("The task's pod_template has fields Kubernetes does not know",
                            detail="; ".join(problems) + ". Use the API's JSON field names (camelCase), or "
                            "kubernetes.client model objects such as V1PodSpec(...).")


def _unknown(obj: dict[str, Any], attribute_map: dict[str, str], where: str) -> list[str]:
    known = set(attribute_map.values())
    return [f"{where}: `{key}`" + (f" (did you mean `{attribute_map[key]}`?)" if key in attribute_map else "")
            for key in obj if key not in known]


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    if isinstance(base, list) and isinstance(over, list):
        if all(isinstance(i, dict) and "name" in i for i in (*base, *over)):
            by_name = {i["name"]: i for i in base}
            for item in over:
                by_name[item["name"]] = _merge(by_name[item["name"]], item) if item["name"] in by_name else item
            return list(by_name.values())
        return [*base, *(i for i in over if i not in base)]
    return over


def _task(request: SubmitRequest) -> dict[str, Any]:
    """The TaskSpec as JSON (``SubmitRequest.task``), its values read loosely."""
    return request.task
