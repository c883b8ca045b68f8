"""Job and Pod status -> attempt phase (pending, running, succeeded, failed) and a clear failure.

Pure functions over the objects as the API returns them (dicts), so they are tested without a
server. Who is to blame:

- the task container exited non-zero: ``user`` (``NonZeroExit``), unless the entrypoint exited
  with 2, which it uses for "the attempt could not run" (``system``);
- OOMKilled, image pull errors, unschedulable pods, missing secrets/config: ``system``;
- the task's timeout (measured from the Job's ``startTime``, or the ``activeDeadlineSeconds``
  backstop): ``user`` ``Timeout``, as with the local provider, retryable.

An attempt succeeds when its pod has (phase ``Succeeded``: every container exited 0, so the
entrypoint wrote its outputs), without waiting for the Job's ``Complete`` condition: the Job
controller batches pod updates and sets it about a second later (0.7 s median on k8s-sim), which
would delay every next task of a chain by that much. ``Complete`` still counts when the pod is gone.

An attempt whose pod cannot be created (the Job's ``FailedCreate`` events: quota, admission, a
missing service account), cannot be scheduled, or whose image cannot be pulled, fails once that
has lasted ``pending_timeout`` seconds, with the cluster's own message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flowctl.providers._interface import TIMEOUT, ProviderFailure, StatusResponse
from flowctl.providers.kubernetes._jobs import TIMEOUT_ANNOTATION

ENTRYPOINT_SYSTEM_EXIT = 2
_IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})
_CONFIG_REASONS = frozenset({"CreateContainerConfigError", "CreateContainerError"})


def attempt_status(job: dict[str, Any], pods: list[dict[str, Any]], *, events: Sequence[dict[str, Any]] = (),
                   pending_timeout: float = 0.0, now: datetime | None = None) -> StatusResponse:
    """The attempt's phase from its Job, the Job's pods (newest first matters only for messages) and
    the Job's ``FailedCreate`` events."""
    now = now or datetime.now(UTC)
    conditions = {c.get("type"): c for c in job.get("status", {}).get("conditions", []) or [] if c.get("status") == "True"}
    pod = _newest(pods)
    if "Complete" in conditions:
        return StatusResponse("succeeded", message="Job complete")
    if "Failed" in conditions or "FailureTarget" in conditions:
        cond = conditions.get("Failed") or conditions["FailureTarget"]
        return StatusResponse("failed", _job_failure(cond, pod), message=str(cond.get("message") or ""))
    if pod is not None and pod.get("status", {}).get("phase") == "Succeeded":  # the Job's Complete follows later
        return StatusResponse("succeeded", message=f"pod {_name(pod)} succeeded")
    overdue = _timed_out(job, now)
    if overdue is not None:
        return overdue
    if pod is None:
        return _no_pod(job, events, pending_timeout, now)
    early = _pod_problem(pod, pending_timeout, now)
    if early is not None:
        return early
    phase = pod.get("status", {}).get("phase", "Pending")
    if phase == "Running":
        return StatusResponse("running", message=f"pod {_name(pod)} running")
    if phase == "Failed":
        return StatusResponse("failed", _container_failure(pod) or _pod_failed(pod), message=f"pod {_name(pod)} failed")
    return StatusResponse("pending", message=_pending_message(pod))


def _job_failure(condition: dict[str, Any], pod: dict[str, Any] | None) -> ProviderFailure:
    reason = condition.get("reason") or ""
    message = condition.get("message") or ""
    if reason == "DeadlineExceeded":
        # blamed like the local provider's timeout: the task's own limit, retried by its retries
        return ProviderFailure("user", TIMEOUT, f"the attempt exceeded its timeout (activeDeadlineSeconds): {message}".rstrip(": "),
                               retryable=True)
    if pod is not None:
        problem = _container_failure(pod)
        if problem is not None:
            return problem
    return ProviderFailure("system", reason or "JobFailed", message or "the Job failed", retryable=True)


def _container_failure(pod: dict[str, Any]) -> ProviderFailure | None:
    for status in _container_statuses(pod):
        terminated = (status.get("state") or {}).get("terminated") or (status.get("lastState") or {}).get("terminated")
        if not terminated:
            continue
        reason, code = terminated.get("reason") or "", int(terminated.get("exitCode") or 0)
        if reason == "OOMKilled":
            return ProviderFailure(
                "system", "OOMKilled",
                f"container {status.get('name')} of pod {_name(pod)} ran out of memory (exit {code}); raise limits.mem of the task",
                retryable=False,
            )
        if code == 0:
            continue
        detail = terminated.get("message") or ""
        if code == ENTRYPOINT_SYSTEM_EXIT:  # its last log line (the termination message's) says why
            last = next((line.strip() for line in reversed(detail.splitlines()) if line.strip()), "")
            return ProviderFailure("system", "EntrypointFailed",
                                   f"the flowctl entrypoint could not run the attempt or save its result (exit 2). {last}".strip(),
                                   retryable=True)
        return ProviderFailure("user", "NonZeroExit", f"the task exited with status {code} ({reason or 'Error'}). {detail}".strip(), retryable=True)
    return None


def _pod_failed(pod: dict[str, Any]) -> ProviderFailure:
    status = pod.get("status", {})
    reason = status.get("reason") or "PodFailed"
    return ProviderFailure("system", reason, status.get("message") or f"pod {_name(pod)} failed ({reason})", retryable=True)


def _timed_out(job: dict[str, Any], now: datetime) -> StatusResponse | None:
    """The task's timeout, counted from the Job's start (as ``activeDeadlineSeconds`` counts)."""
    limit = _float((job.get("metadata", {}).get("annotations") or {}).get(TIMEOUT_ANNOTATION))
    started = _parse_time(job.get("status", {}).get("startTime"))
    if limit is None or started is None or (now - started).total_seconds() < limit:
        return None
    failure = ProviderFailure("user", TIMEOUT, f"the attempt exceeded its timeout of {limit:g}s", retryable=True)
    return StatusResponse("failed", failure, message="timeout")


def _no_pod(job: dict[str, Any], events: Sequence[dict[str, Any]], timeout: float, now: datetime) -> StatusResponse:
    """No pod yet: normal for a second; a FailedCreate that lasts ``timeout`` fails the attempt."""
    if not events:
        return StatusResponse("pending", message="waiting for the Job controller to create the pod")
    first = min((_event_time(e) or now for e in events), default=now)
    latest = max(events, key=lambda e: _event_time(e, last=True) or now)
    message = str(latest.get("message") or "the Job controller cannot create the pod")
    waited = (now - first).total_seconds()
    if waited < timeout:
        return StatusResponse("pending", message=f"cannot create the pod yet: {message}")
    return StatusResponse("failed", create_failure(_name(job), message, waited), message="FailedCreate")


def create_failure(job: str, message: str, waited: float) -> ProviderFailure:
    """A FailedCreate event as a failure: a full quota is retried; a refusal (admission, a quota
    that needs requests, a missing service account) is not."""
    head = f"the Job controller could not create the pod of job {job} for {waited:.0f}s: {message}."
    if "exceeded quota" in message:
        if _asks_more_than_quota(message):
            return ProviderFailure("system", "QuotaExceeded", head + " The task asks for more than the namespace's "
                                   "whole ResourceQuota: lower its requests or raise the quota.", retryable=False)
        return ProviderFailure("system", "QuotaExceeded", head + " The namespace's ResourceQuota is used up by other "
                               "pods; raise it or lower the execution's max parallelism.", retryable=True)
    if "must specify" in message:
        fix = (" The namespace's ResourceQuota requires requests/limits that the pod lacks: set requests= and limits= "
               "on the task, or run `flowctl apply` so the namespace gets flowctl's LimitRange "
               "(provider.kubernetes.default_requests / default_limits).")
    elif "serviceaccount" in message or "service account" in message:
        fix = " Run `flowctl apply` (it creates the task service account) or fix the domain's service_account."
    else:
        fix = " An admission controller refused the pod; fix the job template or the task's pod_template."
    return ProviderFailure("system", "FailedCreate", head + fix, retryable=False)


_QUOTA_PARTS = re.compile(r"requested: (?P<requested>\S+), used: \S+, limited: (?P<limited>[^\s']+)")


def _asks_more_than_quota(message: str) -> bool:
    """``requested: requests.cpu=100, used: ..., limited: requests.cpu=16``: never satisfiable."""
    match = _QUOTA_PARTS.search(message)
    if match is None:
        return False
    from kubernetes import utils

    parse: Any = utils.parse_quantity  # untyped
    requested = dict(p.split("=", 1) for p in match["requested"].split(",") if "=" in p)
    limited = dict(p.split("=", 1) for p in match["limited"].rstrip(".").split(",") if "=" in p)
    try:
        return any(key in limited and parse(value) > parse(limited[key]) for key, value in requested.items())
    except ValueError:
        return False


def _pod_problem(pod: dict[str, Any], timeout: float, now: datetime) -> StatusResponse | None:
    """Failures a pending pod does not recover from by itself (bad image, missing secret, no node
    fits), once they have lasted ``timeout`` seconds."""
    since = _parse_time(pod.get("status", {}).get("startTime")) or _parse_time(
        pod.get("metadata", {}).get("creationTimestamp")) or now
    for status in _container_statuses(pod):
        waiting = (status.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason") or ""
        message = waiting.get("message") or ""
        if reason in _IMAGE_REASONS:
            failure = ProviderFailure(
                "system", "ImagePullBackOff",
                f"cannot pull image {status.get('image') or ''!r} ({reason}): {message}. Check the image name and tag, "
                "and that the namespace can pull from the registry (imagePullSecrets).",
                retryable=False,
            )
            return _after(timeout, since, now, failure, reason)
        if reason in _CONFIG_REASONS:
            failure = ProviderFailure(
                "system", reason,
                f"the container cannot start: {message}. A secret or config map the task references is missing "
                "in the namespace; create it (kubectl create secret generic ...).",
                retryable=False,
            )
            return _after(timeout, since, now, failure, reason)
    for cond in pod.get("status", {}).get("conditions", []) or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False" and cond.get("reason") == "Unschedulable":
            message = cond.get("message") or "no node can run the pod"
            failure = ProviderFailure(
                "system", "Unschedulable",
                f"pod {_name(pod)} cannot be scheduled: {message}. Lower the task's requests or add capacity.",
                retryable=False,
            )
            return _after(timeout, _parse_time(cond.get("lastTransitionTime")) or now, now, failure,
                          f"unschedulable for now: {message}")
    return None


def _after(timeout: float, since: datetime, now: datetime, failure: ProviderFailure, waiting: str) -> StatusResponse:
    if (now - since).total_seconds() >= timeout:
        return StatusResponse("failed", failure, message=failure.code)
    return StatusResponse("pending", message=waiting)


def _pending_message(pod: dict[str, Any]) -> str:
    for status in _container_statuses(pod):
        waiting = (status.get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            return f"pod {_name(pod)}: {waiting['reason']}"
    return f"pod {_name(pod)} pending"


def _container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status", {})
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def _newest(pods: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not pods:
        return None
    return max(pods, key=lambda p: (p.get("metadata", {}).get("creationTimestamp") or "", _name(p)))


def _name(obj: dict[str, Any]) -> str:
    return str(obj.get("metadata", {}).get("name", "?"))


def _event_time(event: dict[str, Any], *, last: bool = False) -> datetime | None:
    keys = ("lastTimestamp", "eventTime", "firstTimestamp") if last else ("firstTimestamp", "eventTime", "lastTimestamp")
    for key in keys:
        found = _parse_time(event.get(key))
        if found is not None:
            return found
    return _parse_time(event.get("metadata", {}).get("creationTimestamp"))


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
