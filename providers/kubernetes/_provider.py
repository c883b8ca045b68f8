"""KubernetesProvider: each task attempt is one ``batch/v1`` Job in the project-domain namespace.

- ``submit`` creates the Job; 409 AlreadyExists means a previous controller created it: adopt it.
- ``status`` reads watch-fed caches of Jobs, Pods and the Jobs' ``FailedCreate`` events (list +
  watch with resourceVersion, 410 Gone -> re-list) and falls back to GET when the cache has not
  seen the Job yet or the watch is failing.
- ``logs`` reads the logs of every container of the Job's pods; ``cancel``/``cleanup`` first copy
  them to the attempt's ``logs.txt`` in the blob store (so they outlive the Job), then delete the
  Job with ``propagationPolicy: Background`` (the Job controller removes its pods). Both take the
  Job and its pods from the caches when these hold it: a finished attempt costs one log read and
  one delete, no GET or list.

Every API failure comes back as a ProviderFailure in the response; nothing is raised.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
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
from flowctl.providers.kubernetes._jobs import OUTPUTS_URI_ANNOTATION, render_job
from flowctl.providers.kubernetes._logs import archive_logs, job_pods, pod_order, read_logs
from flowctl.providers.kubernetes._settings import (
    MANAGED_BY,
    MANAGED_BY_VALUE,
    KubernetesSettings,
    check_blob_store,
)
from flowctl.providers.kubernetes._status import attempt_status
from flowctl.tasktypes._adapt import adapt_job

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.spec import Json

log = logging.getLogger("flowctl.providers.kubernetes")
TASK_SPEC = "task.json"
_SELECTOR = f"{MANAGED_BY}={MANAGED_BY_VALUE}"
_FAILED_CREATE = "involvedObject.kind=Job,reason=FailedCreate"
_INFORMED: dict[str, dict[str, str]] = {  # resource -> selectors of its informer
    "jobs": {"label_selector": _SELECTOR}, "pods": {"label_selector": _SELECTOR},
    "events": {"field_selector": _FAILED_CREATE}}


class KubernetesProvider:
    """The ``kubernetes`` provider. ``handle`` is ``"{namespace}/{job name}"``."""

    name = "kubernetes"

    def __init__(self, settings: KubernetesSettings, *, client: KubeClient | None = None, watch: bool = True) -> None:
        self.settings = settings
        self.client = client or KubeClient(settings)
        self.watch = watch
        self._informers: dict[tuple[str, str], Informer] = {}
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[], None]] = []

    @classmethod
    def from_config(cls, config: Config) -> KubernetesProvider:
        """The provider as ``flowctl.toml`` / environment / flags configure it (``provider.kubernetes.*``).

        Refuses a local-folder blob store (pods cannot read it) unless explicitly allowed."""
        settings = KubernetesSettings.from_config(config)
        check_blob_store(settings, config.blob_store_url)
        return cls(settings)

    # ------------------------------------------------------------------ Provider
    def submit(self, request: SubmitRequest) -> SubmitResponse:
        ref = request.ref
        handle = self.settings.job_handle(ref)
        namespace, name = handle.split("/", 1)
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
            job, pods, events = self._observe(namespace, name)
        except KubernetesApiError as exc:
            if exc.retryable:
                return StatusResponse("pending", message=f"status unknown for now: {exc.diagnostics[0].summary}")
            return StatusResponse("failed", exc.failure())
        if job is None:
            return StatusResponse("failed", ProviderFailure(
                "system", "JobNotFound",
                f"job {name} is gone from namespace {namespace} (deleted by hand or by ttlSecondsAfterFinished) "
                "and left no result", retryable=True))
        result = attempt_status(job, pods, events=events, pending_timeout=self.settings.pending_timeout_seconds)
        if result.phase == "failed" and result.error is not None and result.error.code in ("NonZeroExit", "EntrypointFailed"):
            return _with_error_document(job, result)
        return result

    def cancel(self, ref: AttemptRef, handle: str) -> None:
        self.cleanup(ref, handle)

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        """Copy the pods' logs to the blob store, then delete the Job (and so its pods)."""
        namespace, name = self._parse(ref, handle)
        try:
            cached = self._cached(namespace, name)
            job, pods = cached[:2] if cached is not None else self._poll(namespace, name)
            if job is not None:
                archive_logs(self.client, namespace, job, pods)
        except (FlowctlError, OSError) as exc:  # the Job goes anyway: a Job left behind would hold quota
            log.warning("could not keep the logs of job %s/%s: %s", namespace, name, exc)
        self._delete(namespace, name)

    def logs(self, ref: AttemptRef, handle: str) -> LogsResponse:
        """The live logs of every container of the Job's pods (while the pods exist)."""
        namespace, name = self._parse(ref, handle)
        try:
            pods = job_pods(self.client, namespace, name)
            if not pods:
                return LogsResponse("", ProviderFailure("system", "NoPod", f"job {name} has no pod (yet, or any more)"))
            return LogsResponse(read_logs(self.client, namespace, pods))
        except KubernetesApiError as exc:
            return LogsResponse("", exc.failure())

    def close(self) -> None:
        with self._lock:
            informers, self._informers = list(self._informers.values()), {}
        for informer in informers:
            informer.stop()
        self.client.close()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from a watch thread) whenever a watched Job, pod or event changes:
        the controller reacts to the Job watch instead of waiting for its next poll."""
        with self._lock:
            self._subscribers.append(callback)

    def _changed(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback()

    # ------------------------------------------------------------------ helpers
    def informer(self, namespace: str, resource: str) -> Informer:
        """The (started) informer for ``jobs``, ``pods`` or ``events`` (the Jobs' FailedCreate) in ``namespace``."""
        with self._lock:
            key = (namespace, resource)
            if key not in self._informers:
                self._informers[key] = Informer(self.client, resource=resource, namespace=namespace,
                                                list_method=lambda: self._list_method(resource),
                                                on_change=self._changed, **_INFORMED[resource]).start()
            return self._informers[key]

    def _list_method(self, resource: str) -> Any:
        if resource == "jobs":
            return self.client.batch().list_namespaced_job
        core = self.client.core()
        return core.list_namespaced_pod if resource == "pods" else core.list_namespaced_event

    def _cached(self, namespace: str, name: str) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]] | None:
        """The Job, its pods (oldest first) and its FailedCreate events from the watch-fed caches;
        None when they do not hold the Job (not seen yet, or a watch is failing)."""
        if not self.watch:
            return None
        jobs, pods, events = (self.informer(namespace, r) for r in _INFORMED)
        if not (jobs.synced and pods.synced and events.synced):
            return None
        job = jobs.get(name)
        if job is None:
            return None
        found = sorted(pods.select("job-name", name), key=pod_order)
        return job, found, [] if found else _events_of(job, events.items())

    def _observe(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
        cached = self._cached(namespace, name)
        if cached is not None:
            return cached
        job, found = self._poll(namespace, name)
        return job, found, self._poll_events(namespace, job) if job is not None and not found else []

    def _poll(self, namespace: str, name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        try:
            job = self.client.call("get", "jobs", self.client.batch().read_namespaced_job, name, namespace,
                                   namespace=namespace, name=name)
        except KubernetesApiError as exc:
            if exc.status == 404:
                return None, []
            raise
        return job, job_pods(self.client, namespace, name)

    def _poll_events(self, namespace: str, job: dict[str, Any]) -> list[dict[str, Any]]:
        name = job["metadata"]["name"]
        listing = self.client.call("list", "events", self.client.core().list_namespaced_event, namespace,
                                   namespace=namespace, field_selector=f"{_FAILED_CREATE},involvedObject.name={name}")
        return _events_of(job, listing.get("items", []))

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
        """The Job's namespace and name: those of ``handle``; where :meth:`submit` puts it when no handle
        was recorded; a bare name is a Job in the project-domain's namespace."""
        handle = handle or self.settings.job_handle(ref)
        if "/" not in handle:
            return self.settings.namespace(ref.project, ref.domain), handle
        namespace, name = handle.split("/", 1)
        return namespace, name


def _events_of(job: dict[str, Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The FailedCreate events of this very Job (a Job of the same name created before is not it)."""
    meta = job.get("metadata", {})
    return [e for e in events if (e.get("involvedObject") or {}).get("name") == meta.get("name")
            and (e.get("involvedObject") or {}).get("uid") in (None, "", meta.get("uid"))]


def _with_error_document(job: dict[str, Any], result: StatusResponse) -> StatusResponse:
    """The entrypoint's ``error.json`` (kind, code, message, retryable) refines a non-zero exit."""
    outputs_uri = (job.get("metadata", {}).get("annotations") or {}).get(OUTPUTS_URI_ANNOTATION)
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
