from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flowctl.providers.kubernetes import attempt_status


def _job(*conditions: tuple[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": "j"}, "status": {"conditions": [
        {"type": t, "status": "True", "reason": r, "message": "m"} for t, r in conditions]}}


def _pod(phase: str = "Pending", *, state: dict[str, Any] | None = None, conditions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase, "conditions": conditions or []}
    if state is not None:
        status["containerStatuses"] = [{"name": "task", "image": "img:1", "state": state}]
    return {"metadata": {"name": "j-abcde", "creationTimestamp": "2026-01-01T00:00:00Z"}, "status": status}


def test_phases_follow_the_job_and_pod() -> None:
    assert attempt_status(_job(), []).phase == "pending"
    assert attempt_status(_job(), [_pod(state={"waiting": {"reason": "ContainerCreating"}})]).phase == "pending"
    assert attempt_status(_job(), [_pod("Running", state={"running": {}})]).phase == "running"
    assert attempt_status(_job(("Complete", "CompletionsReached")), []).phase == "succeeded"


def test_a_succeeded_pod_is_a_succeeded_attempt_before_the_job_controller_marks_the_job_complete() -> None:
    """The Job controller sets Complete about a second after the pod ends (it batches pod updates):
    the next task of a chain must not wait for it."""
    done = _pod("Succeeded", state={"terminated": {"exitCode": 0, "reason": "Completed"}})
    assert attempt_status(_job(), [done]).phase == "succeeded"
    late = {**_job(), "metadata": {"name": "j", "annotations": {"flowctl.io/timeout-seconds": "1"}},
            "status": {"startTime": "2026-01-01T00:00:00Z"}}
    assert attempt_status(late, [done], now=datetime(2026, 1, 1, 0, 1, tzinfo=UTC)).phase == "succeeded"
    failed = _job(("Failed", "DeadlineExceeded"))
    assert attempt_status(failed, [done]).phase == "failed"  # the Job's own verdict stands once it is given


def test_non_zero_exit_is_the_users_and_exit_2_is_the_systems() -> None:
    user = attempt_status(_job(("Failed", "BackoffLimitExceeded")), [_pod("Failed", state={"terminated": {"exitCode": 1, "reason": "Error"}})])
    assert user.phase == "failed" and user.error is not None
    assert (user.error.kind, user.error.code, user.error.retryable) == ("user", "NonZeroExit", True)
    system = attempt_status(_job(("Failed", "BackoffLimitExceeded")), [_pod("Failed", state={"terminated": {"exitCode": 2}})])
    assert system.error is not None and (system.error.kind, system.error.code) == ("system", "EntrypointFailed")


def test_exit_2_names_the_entrypoints_last_line() -> None:
    """The kubelet's termination message is the log's tail (FallbackToLogsOnError): the reason is its last line."""
    tail = ("Traceback (most recent call last):\n  ...\nValueError: no rows\n\n"
            "flowctl: Cannot write the task error document to s3://b/p/d/e/n0/0/error.json: bucket full; "
            "the attempt's result is lost (it was: Task `etl.load` failed: ValueError: no rows)\n")
    pod = _pod("Failed", state={"terminated": {"exitCode": 2, "reason": "Error", "message": tail}})
    failure = attempt_status(_job(("Failed", "BackoffLimitExceeded")), [pod]).error
    assert failure is not None and failure.retryable
    assert failure.message == ("the flowctl entrypoint could not run the attempt or save its result (exit 2). "
                               + tail.strip().splitlines()[-1])


def test_oom_killed_is_a_system_error_not_retried() -> None:
    result = attempt_status(_job(("Failed", "BackoffLimitExceeded")),
                            [_pod("Failed", state={"terminated": {"exitCode": 137, "reason": "OOMKilled"}})])
    assert result.error is not None
    assert (result.error.kind, result.error.code, result.error.retryable) == ("system", "OOMKilled", False)
    assert "limits.mem" in result.error.message


def test_deadline_exceeded_is_a_timeout() -> None:
    result = attempt_status(_job(("Failed", "DeadlineExceeded")), [])
    assert result.error is not None and result.error.code == "Timeout" and result.error.retryable


def test_image_pull_and_missing_secret_fail_fast() -> None:
    pulled = attempt_status(_job(), [_pod(state={"waiting": {"reason": "ImagePullBackOff", "message": "not found"}})])
    assert pulled.phase == "failed" and pulled.error is not None
    assert pulled.error.code == "ImagePullBackOff" and "img:1" in pulled.error.message and not pulled.error.retryable
    secret = attempt_status(_job(), [_pod(state={"waiting": {"reason": "CreateContainerConfigError",
                                                             "message": 'secret "db" not found'}})])
    assert secret.error is not None and 'secret "db" not found' in secret.error.message


def test_unschedulable_waits_for_the_grace_period() -> None:
    cond = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "Insufficient cpu",
             "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    now = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    assert attempt_status(_job(), [_pod(conditions=cond)], pending_timeout=60, now=now).phase == "pending"
    failed = attempt_status(_job(), [_pod(conditions=cond)], pending_timeout=10, now=now)
    assert failed.error is not None and failed.error.code == "Unschedulable" and "Insufficient cpu" in failed.error.message


def _event(message: str, at: str) -> dict[str, Any]:
    return {"involvedObject": {"kind": "Job", "name": "j"}, "reason": "FailedCreate", "message": message,
            "firstTimestamp": at, "lastTimestamp": at}


REFUSED = ('Error creating: pods "j-x" is forbidden: failed quota: flowctl-quota: must specify requests.cpu for: task; '
           "requests.memory for: task")


def test_a_pod_the_cluster_will_not_create_fails_after_the_pending_timeout() -> None:
    events = [_event(REFUSED, "2026-01-01T00:00:00Z")]
    early = attempt_status(_job(), [], events=events, pending_timeout=60, now=datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC))
    assert early.phase == "pending" and "must specify requests.cpu" in early.message
    late = attempt_status(_job(), [], events=events, pending_timeout=60, now=datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC))
    assert late.phase == "failed" and late.error is not None
    assert (late.error.kind, late.error.code, late.error.retryable) == ("system", "FailedCreate", False)
    assert "must specify requests.cpu" in late.error.message and "LimitRange" in late.error.message


def test_a_full_quota_is_retried_but_a_task_larger_than_the_quota_is_not() -> None:
    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    full = ('Error creating: pods "j-x" is forbidden: exceeded quota: flowctl-quota, requested: requests.cpu=2, '
            "used: requests.cpu=15, limited: requests.cpu=16")
    busy = attempt_status(_job(), [], events=[_event(full, "2026-01-01T00:00:00Z")], pending_timeout=60, now=now)
    assert busy.error is not None and (busy.error.code, busy.error.retryable) == ("QuotaExceeded", True)
    huge = full.replace("requests.cpu=2,", "requests.cpu=100,")
    never = attempt_status(_job(), [], events=[_event(huge, "2026-01-01T00:00:00Z")], pending_timeout=60, now=now)
    assert never.error is not None and (never.error.code, never.error.retryable) == ("QuotaExceeded", False)


def test_the_tasks_timeout_counts_from_the_jobs_start() -> None:
    job = {"metadata": {"name": "j", "annotations": {"flowctl.io/timeout-seconds": "30"}},
           "status": {"startTime": "2026-01-01T00:00:00Z"}}
    running = [_pod("Running", state={"running": {}})]
    assert attempt_status(job, running, now=datetime(2026, 1, 1, 0, 0, 29, tzinfo=UTC)).phase == "running"
    over = attempt_status(job, running, now=datetime(2026, 1, 1, 0, 0, 31, tzinfo=UTC))
    assert over.error is not None and (over.error.kind, over.error.code, over.error.retryable) == ("user", "Timeout", True)
    done = {**job, "status": {**job["status"], "conditions": [{"type": "Complete", "status": "True"}]}}
    assert attempt_status(done, running, now=datetime(2026, 1, 1, 1, 0, tzinfo=UTC)).phase == "succeeded"


def test_image_pull_errors_wait_for_the_pending_timeout() -> None:
    pod = _pod(state={"waiting": {"reason": "ErrImagePull", "message": "not found"}})
    pod["status"]["startTime"] = "2026-01-01T00:00:00Z"
    assert attempt_status(_job(), [pod], pending_timeout=60, now=datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)).phase == "pending"
    failed = attempt_status(_job(), [pod], pending_timeout=60, now=datetime(2026, 1, 1, 0, 1, 1, tzinfo=UTC))
    assert failed.error is not None and failed.error.code == "ImagePullBackOff"
