"""KubernetesProvider: each task attempt is one ``batch/v1`` Job in the project-domain namespace.

- ``submit`` creates the Job; 409 AlreadyExists means a previous controller created it: adopt it.
- ``status`` reads a watch-fed cache (list + watch with resourceVersion, 410 Gone -> re-list) and
  falls back to GET when the cache has not seen the Job yet or the watch is failing.
- ``logs`` reads the log of the Job's newest pod; ``cancel``/``cleanup`` delete the Job with
  ``propagationPolicy: Background`` (the Job controller removes its pods).

Every API failure comes back as a ProviderFailure in the response; nothing is raised.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, cast

from flowctl import _blobstore as blobs
from flowctl._errors import FlowctlError, ProviderError
from flowctl.providers._interface import (
    THROTTLED,
    AttemptRef,
    ErrorKind,
    LogsResponse,
    ProviderFailure,
    StatusResponse,
    SubmitRequest,
    SubmitResponse,
)
from flowctl.providers.kubernetes._client import KubeClient, KubernetesApiError
from flowctl.providers.kubernetes._informer import Informer
from flowctl.providers.kubernetes._jobs import CONTAINER, render_job
from flowctl.providers.kubernetes._names import job_name
from flowctl.providers.kubernetes._settings import MANAGED_BY, MANAGED_BY_VALUE, KubernetesSettings
from flowctl.providers.kubernetes._status import attempt_status
from flowctl.tasktypes._k8s import adapt_job

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.spec import Json

log = logging.getLogger("flowctl.providers.kubernetes")
TASK_SPEC = "task.json"
_SELECTOR = f"{MANAGED_BY}={MANAGED_BY_VALUE}"


class KubernetesProvider:
    """The ``kubernetes`` provider. ``handle`` is ``"{namespace}/{job name}"``."""

    name = "kubernetes"

    def __init__(self, settings: KubernetesSettings, *, client: KubeClient | None = None, watch: bool = True,
                 unschedulable_grace_seconds: float = 120.0) -> None:
        self.settings = settings
        self.client = client or KubeClient(settings)
        self.watch = watch
        self.unschedulable_grace_seconds = unschedulable_grace_seconds
        self._informers: dict[tuple[str, str], Informer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config) -> KubernetesProvider:
        """The provider as ``flowctl.toml`` / environment / flags configure it (``provider.kubernetes.*``)."""
        return cls(KubernetesSettings.from_config(config))

    # ------------------------------------------------------------------ Provider
    def submit(self, request: SubmitRequest) -> SubmitResponse:
        ref = request.ref
        namespace = self.settings.namespace(ref.project, ref.domain)
        name = job_name(ref)
        handle = f"{namespace}/{name}"
        try:
            task_spec_uri = self._task_spec_uri(request)
        except Exception as exc:  # the blob store is down or misconfigured
            return SubmitResponse(handle, ProviderFailure("system", "BlobStoreUnavailable",
                                                          f"cannot write the task spec for {name}: {exc}"))
        try:
            job = render_job(request, self.settings, task_spec_uri=task_spec_uri)
        except ProviderError as exc:
            return SubmitResponse(handle, ProviderFailure("user", "InvalidJob", exc.render(), retryable=False))
        try:
            # task types (container tasks, plugins) may reshape the Job: the user's image plus data steps
            job = adapt_job(job, request)
        except FlowctlError as exc:
            return SubmitResponse(handle, ProviderFailure("user", "TaskTypeUnavailable", exc.render(), retryable=False))
        try:
            self.client.call("create", "jobs", self.client.batch().create_namespaced_job, namespace, job,
                             namespace=namespace, name=name)
        except KubernetesApiError as exc:
            if exc.status == 409:
                log.info("job %s already exists: adopting it", handle)
                return SubmitResponse(handle, adopted=True)
            if exc.status == 429:  # still throttled after our retries: nothing started, submit again later
                return SubmitResponse(handle, ProviderFailure("system", THROTTLED, exc.failure().message, retryable=True))
            return SubmitResponse(handle, exc.failure())
        return SubmitResponse(handle)

    def status(self, ref: AttemptRef, handle: str) -> StatusResponse:
        namespace, name = self._parse(ref, handle)
        try:
            job, pods = self._observe(namespace, name)
        except KubernetesApiError as exc:
            if exc.retryable:
                return StatusResponse("pending", message=f"status unknown for now: {exc.diagnostics[0].summary}")
            return StatusResponse("failed", exc.failure())
        if job is None:
            return StatusResponse("failed", ProviderFailure(
                "system", "JobNotFound",
                f"job {name} is gone from namespace {namespace} (deleted by hand or by ttlSecondsAfterFinished) "
                "and left no result", retryable=True))
        result = attempt_status(job, pods, unschedulable_grace_seconds=self.unschedulable_grace_seconds)
        if result.phase == "failed" and result.error is not None and result.error.code in ("NonZeroExit", "EntrypointFailed"):
            return _with_error_document(job, result)
        return result

    def cancel(self, ref: AttemptRef, handle: str) -> None:
        namespace, name = self._parse(ref, handle)
        self._delete(namespace, name)

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        namespace, name = self._parse(ref, handle)
        self._delete(namespace, name)

    def logs(self, ref: AttemptRef, handle: str) -> LogsResponse:
        namespace, name = self._parse(ref, handle)
        core = self.client.core()
        try:
            pods = self.client.call("list", "pods", core.list_namespaced_pod, namespace, namespace=namespace,
                                    label_selector=f"job-name={name}").get("items", [])
            if not pods:
                return LogsResponse("", ProviderFailure("system", "NoPod", f"job {name} has no pod (yet, or any more)"))
            pod = max(pods, key=lambda p: p.get("metadata", {}).get("creationTimestamp") or "")
            pod_name = pod["metadata"]["name"]
            text = self.client.call("get", "pods/log", core.read_namespaced_pod_log, pod_name, namespace,
                                    namespace=namespace, name=pod_name, container=CONTAINER, raw=True)
        except KubernetesApiError as exc:
            return LogsResponse("", exc.failure())
        return LogsResponse(str(text))

    def close(self) -> None:
        with self._lock:
            informers, self._informers = list(self._informers.values()), {}
        for informer in informers:
            informer.stop()
        self.client.close()

    # ------------------------------------------------------------------ helpers
    def informer(self, namespace: str, resource: str) -> Informer:
        """The (started) informer for ``jobs`` or ``pods`` in ``namespace``."""
        with self._lock:
            key = (namespace, resource)
            if key not in self._informers:
                def method(resource: str = resource) -> Any:
                    return (self.client.batch().list_namespaced_job if resource == "jobs"
                            else self.client.core().list_namespaced_pod)
                self._informers[key] = Informer(self.client, resource=resource, namespace=namespace,
                                                label_selector=_SELECTOR, list_method=method).start()
            return self._informers[key]

    def _observe(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        if self.watch:
            jobs, pods = self.informer(namespace, "jobs"), self.informer(namespace, "pods")
            if jobs.synced and pods.synced:
                job = jobs.get(name)
                if job is not None:
                    return job, pods.select("job-name", name)
        return self._poll(namespace, name)

    def _poll(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        try:
            job = self.client.call("get", "jobs", self.client.batch().read_namespaced_job, name, namespace,
                                   namespace=namespace, name=name)
        except KubernetesApiError as exc:
            if exc.status == 404:
                return None, []
            raise
        pods = self.client.call("list", "pods", self.client.core().list_namespaced_pod, namespace,
                                namespace=namespace, label_selector=f"job-name={name}")
        return job, list(pods.get("items", []))

    def _delete(self, namespace: str, name: str) -> None:
        try:
            self.client.call("delete", "jobs", self.client.batch().delete_namespaced_job, name, namespace,
                             namespace=namespace, name=name, propagation_policy="Background")
        except KubernetesApiError as exc:
            if exc.status != 404:
                log.warning("could not delete job %s/%s: %s", namespace, name, exc.render())

    def _task_spec_uri(self, request: SubmitRequest) -> str:
        if request.task_spec_uri:
            return request.task_spec_uri
        uri = blobs.join(request.outputs_uri.rsplit("/", 1)[0], TASK_SPEC)
        blobs.write_json(uri, cast("Json", request.task))
        return uri

    def _parse(self, ref: AttemptRef, handle: str) -> tuple[str, str]:
        if "/" in handle:
            namespace, name = handle.split("/", 1)
            return namespace, name
        return self.settings.namespace(ref.project, ref.domain), handle or job_name(ref)


def _with_error_document(job: dict[str, Any], result: StatusResponse) -> StatusResponse:
    """The entrypoint's ``error.json`` (kind, code, message, retryable) refines a non-zero exit."""
    outputs_uri = (job.get("metadata", {}).get("annotations") or {}).get("flowctl.io/outputs-uri")
    if not outputs_uri or result.error is None:
        return result
    try:
        doc = blobs.read_json_or_none(blobs.join(outputs_uri.rsplit("/", 1)[0], blobs.ERROR))
    except Exception:  # the blob store is not readable from here: the exit status stands
        return result
    if not isinstance(doc, dict):
        return result
    kind: ErrorKind = "system" if doc.get("kind") == "system" else "user"
    failure = ProviderFailure(kind, str(doc.get("code") or result.error.code), str(doc.get("message") or result.error.message),
                              retryable=bool(doc.get("retryable", result.error.retryable)))
    return StatusResponse("failed", failure, message=result.message)
