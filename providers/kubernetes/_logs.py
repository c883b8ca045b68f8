"""Pod logs of an attempt: read live from the API server, and copied to the blob store before the
Job is deleted, so they outlive the Job and its pods.

One text for every reader: the log of each container of each pod of the Job (init containers
first, pods oldest first). With a single container it is that container's log as is; with more,
each section starts with ``==> pod P container C <==``.
"""

from __future__ import annotations

from typing import Any

from flowctl import _blobstore as blobs
from flowctl.providers.kubernetes._client import KubeClient, KubernetesApiError
from flowctl.providers.kubernetes._jobs import OUTPUTS_URI_ANNOTATION


def log_uri(job: dict[str, Any]) -> str | None:
    """Where the attempt's log is kept in the blob store (``logs.txt`` next to its outputs)."""
    outputs = (job.get("metadata", {}).get("annotations") or {}).get(OUTPUTS_URI_ANNOTATION)
    return blobs.join(str(outputs).rsplit("/", 1)[0], blobs.LOGS) if outputs else None


def job_pods(client: KubeClient, namespace: str, job: str) -> list[dict[str, Any]]:
    listing = client.call("list", "pods", client.core().list_namespaced_pod, namespace, namespace=namespace,
                          label_selector=f"job-name={job}")
    return sorted(listing.get("items", []), key=pod_order)


def pod_order(pod: dict[str, Any]) -> tuple[str, str]:
    """Pods oldest first (creation time, then name), the order their logs are combined in."""
    return pod["metadata"].get("creationTimestamp") or "", pod["metadata"]["name"]


def read_logs(client: KubeClient, namespace: str, pods: list[dict[str, Any]]) -> str:
    """The combined log of ``pods`` (see the module docstring). Raises KubernetesApiError when a log
    cannot be read (with one container: also when it has not started yet)."""
    sections = [(pod["metadata"]["name"], name) for pod in pods for name in _containers(pod)]
    if len(sections) == 1:
        return _container_log(client, namespace, *sections[0])
    parts = []
    for pod_name, container in sections:
        try:
            text = _container_log(client, namespace, pod_name, container)
        except KubernetesApiError as exc:
            if exc.status != 400:
                raise
            text = f"(no log: {exc.server_message})\n"
        parts.append(f"==> pod {pod_name} container {container} <==\n{text}")
    return "\n".join(parts)


def archive_logs(client: KubeClient, namespace: str, job: dict[str, Any], pods: list[dict[str, Any]]) -> bool:
    """Copy the logs of the Job's ``pods`` to its ``logs.txt`` in the blob store; False when there
    was nothing to copy (no pod left) or no place to put it."""
    target = log_uri(job)
    if target is None or not pods:
        return False
    try:
        text = read_logs(client, namespace, pods)
    except KubernetesApiError as exc:
        if exc.status != 400:  # 400: the container never started (image pull, missing secret)
            raise
        text = f"(no log: {exc.server_message})\n"
    blobs.write_bytes(target, text.encode())
    return True


def _containers(pod: dict[str, Any]) -> list[str]:
    spec = pod.get("spec") or {}
    return [c["name"] for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]]


def _container_log(client: KubeClient, namespace: str, pod: str, container: str) -> str:
    return str(client.call("get", "pods/log", client.core().read_namespaced_pod_log, pod, namespace,
                           namespace=namespace, name=pod, container=container, raw=True))
