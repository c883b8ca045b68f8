"""The Kubernetes provider against the API double: the official client over HTTP, real status transitions."""

from __future__ import annotations

import json
import textwrap
import threading
from pathlib import Path

import pytest
from k8s_helpers import NAMESPACE, make_request, wait_terminal

from flowctl.providers.kubernetes import KubernetesProvider, KubernetesSettings
from flowctl.providers.kubernetes.testing import KubernetesDouble, PodResult, PodRun, run_locally
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, TaskSpec, TypeSpec

INT = TypeSpec(kind="int")


def _python_task(tmp_path: Path, body: str, **fields: object) -> TaskSpec:
    module = tmp_path / "code" / "k8s_tasks.py"
    module.parent.mkdir(exist_ok=True)
    module.write_text(textwrap.dedent(body))
    return TaskSpec(
        name="k8s_tasks.work",
        interface=InterfaceSpec(inputs=(InputSpec(name="x", type=INT),), outputs=(OutputSpec(name="o0", type=INT),)),
        code=CodeSpec(module="k8s_tasks", qualname="work", source_file="k8s_tasks.py", source_line=1, code_digest="0"),
        environment={"PYTHONPATH": str(module.parent)},
        **fields,  # type: ignore[arg-type]
    )


def test_success_runs_the_entrypoint_and_writes_outputs(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                        tmp_path: Path) -> None:
    k8s.runner = run_locally
    task = _python_task(tmp_path, """
        from flowctl import task

        @task
        def work(x: int) -> int:
            print("doubling", x)
            return x * 2
    """)
    request = make_request(tmp_path, task=task)
    Path(request.inputs_uri).write_text(json.dumps({"x": 21}))
    submitted = provider.submit(request)
    assert submitted.error is None and not submitted.adopted
    assert submitted.handle == f"{NAMESPACE}/e1-n0-0"
    status = wait_terminal(provider, request, submitted.handle, timeout=30)
    assert status.phase == "succeeded", status
    assert json.loads(Path(request.outputs_uri).read_text()) == {"o0": 42}
    logs = provider.logs(request.ref, submitted.handle)
    assert logs.error is None and "doubling 21" in logs.text


def test_user_failure_carries_the_entrypoint_error_document(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                            tmp_path: Path) -> None:
    k8s.runner = run_locally
    task = _python_task(tmp_path, """
        from flowctl import task

        @task
        def work(x: int) -> int:
            raise ValueError("x must be positive")
    """)
    request = make_request(tmp_path, task=task)
    Path(request.inputs_uri).write_text(json.dumps({"x": -1}))
    status = wait_terminal(provider, request, provider.submit(request).handle, timeout=30)
    assert status.phase == "failed" and status.error is not None
    assert status.error.kind == "user"
    assert status.error.code.startswith("USER:")  # from the entrypoint's error.json, not just the exit status
    assert "x must be positive" in status.error.message


def test_non_zero_exit_without_document_is_a_user_error(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                        tmp_path: Path) -> None:
    k8s.runner = lambda run: PodResult(3)
    request = make_request(tmp_path)
    status = wait_terminal(provider, request, provider.submit(request).handle)
    assert status.error is not None and (status.error.kind, status.error.code) == ("user", "NonZeroExit")
    job = k8s.get("jobs", NAMESPACE, "e1-n0-0")
    assert job is not None and job["status"]["conditions"][-1]["reason"] == "BackoffLimitExceeded"


@pytest.mark.parametrize(("fault", "code", "words"), [
    ("oom", "OOMKilled", "ran out of memory"),
    ("image_pull", "ImagePullBackOff", "cannot pull image 'flowctl:test'"),
    ("unschedulable", "Unschedulable", "Insufficient cpu"),
])
def test_pod_faults_become_clear_system_errors(k8s: KubernetesDouble, provider: KubernetesProvider, tmp_path: Path,
                                               fault: str, code: str, words: str) -> None:
    k8s.pod_fault(fault)  # type: ignore[arg-type]
    request = make_request(tmp_path)
    status = wait_terminal(provider, request, provider.submit(request).handle)
    assert status.phase == "failed" and status.error is not None
    assert (status.error.kind, status.error.code, status.error.retryable) == ("system", code, False)
    assert words in status.error.message


def test_missing_secret_is_explained(k8s: KubernetesDouble, provider: KubernetesProvider, tmp_path: Path) -> None:
    from flowctl.spec import SecretSpec

    task = TaskSpec(name="t", interface=InterfaceSpec(), secret_requests=(SecretSpec(group="db", key="password"),))
    request = make_request(tmp_path, task=task)
    status = wait_terminal(provider, request, provider.submit(request).handle)
    assert status.error is not None and status.error.code == "CreateContainerConfigError"
    assert 'secret "db" not found' in status.error.message


def test_secret_values_reach_the_pod_by_reference(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                  tmp_path: Path) -> None:
    from flowctl.spec import SecretSpec

    seen: dict[str, str] = {}

    def runner(run: PodRun) -> PodResult:
        seen.update(run.env)
        return PodResult(0)

    k8s.runner = runner
    k8s.create_secret(NAMESPACE, "db", {"password": "s3cret"})
    task = TaskSpec(name="t", interface=InterfaceSpec(),
                    secret_requests=(SecretSpec(group="db", key="password", env_var="DB_PASSWORD"),))
    request = make_request(tmp_path, task=task)
    assert wait_terminal(provider, request, provider.submit(request).handle).phase == "succeeded"
    assert seen["DB_PASSWORD"] == "s3cret"
    job = k8s.get("jobs", NAMESPACE, "e1-n0-0")
    assert "s3cret" not in json.dumps(job)


def test_deadline_exceeded_is_a_timeout(k8s: KubernetesDouble, provider: KubernetesProvider, tmp_path: Path) -> None:
    k8s.runner = lambda run: PodResult(0) if not run.cancelled.wait(30) else PodResult(137)
    request = make_request(tmp_path, timeout=0.5)
    status = wait_terminal(provider, request, provider.submit(request).handle)
    assert status.phase == "failed" and status.error is not None
    assert status.error.code == "Timeout" and status.error.retryable


def test_conflict_on_create_adopts_the_existing_job(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                    settings: KubernetesSettings, tmp_path: Path) -> None:
    request = make_request(tmp_path)
    first = provider.submit(request)
    restarted = KubernetesProvider(settings, client=k8s.kube_client(settings))  # a new controller process
    try:
        again = restarted.submit(request)
        assert again.adopted and again.error is None and again.handle == first.handle
        assert wait_terminal(restarted, request, again.handle).phase == "succeeded"
    finally:
        restarted.close()
    assert len(k8s.list("jobs", NAMESPACE)) == 1


def test_watch_expiry_relists_and_keeps_following(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                  tmp_path: Path) -> None:
    release = threading.Event()
    k8s.runner = lambda run: PodResult(0 if release.wait(20) else 1)
    request = make_request(tmp_path)
    handle = provider.submit(request).handle
    assert k8s.wait_for(lambda: provider.status(request.ref, handle).phase == "running")
    jobs = provider.informer(NAMESPACE, "jobs")
    assert jobs.wait_synced(5)
    lists_before = jobs.relists
    k8s.expire_watches()
    assert k8s.wait_for(lambda: jobs.relists > lists_before, timeout=10)
    release.set()
    assert k8s.wait_for(lambda: (jobs.get("e1-n0-0") or {}).get("status", {}).get("succeeded") == 1, timeout=10)
    assert provider.status(request.ref, handle).phase == "succeeded"
    watches = [r for r in k8s.requests if r.verb == "watch" and r.resource == "jobs"]
    assert all(r.query.get("resourceVersion") for r in watches)
    assert all(r.query.get("allowWatchBookmarks") == "true" for r in watches)


def test_subscribers_hear_the_job_watch_when_the_attempt_ends(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                            tmp_path: Path) -> None:
    release = threading.Event()
    k8s.runner = lambda run: PodResult(0 if release.wait(20) else 1)
    heard = threading.Event()
    provider.subscribe(heard.set)
    request = make_request(tmp_path)
    handle = provider.submit(request).handle
    assert k8s.wait_for(lambda: provider.status(request.ref, handle).phase == "running")
    jobs = provider.informer(NAMESPACE, "jobs")
    assert jobs.wait_synced(5)
    heard.clear()  # what the start caused; now only the end may ring
    release.set()
    assert heard.wait(10)  # the controller is woken by the watch, not by its next poll
    assert k8s.wait_for(lambda: provider.status(request.ref, handle).phase == "succeeded", timeout=10)


@pytest.mark.parametrize("status_code", [429, 500, 0])
def test_throttling_server_errors_and_resets_are_retried(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                         tmp_path: Path, status_code: int) -> None:
    k8s.fail_next(status_code, verb="create", resource="jobs", times=2)
    request = make_request(tmp_path)
    submitted = provider.submit(request)
    assert submitted.error is None
    assert len([r for r in k8s.requests if r.verb == "create" and r.resource == "jobs"]) == 3
    assert wait_terminal(provider, request, submitted.handle).phase == "succeeded"


def test_throttled_after_all_retries_is_reported_as_throttled(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                              tmp_path: Path) -> None:
    k8s.fail_next(429, verb="create", resource="jobs", times=10)
    submitted = provider.submit(make_request(tmp_path))
    assert submitted.error is not None and submitted.error.code == "Throttled" and submitted.error.retryable


def test_polling_fallback_retries_status_reads(k8s: KubernetesDouble, settings: KubernetesSettings,
                                               tmp_path: Path) -> None:
    provider = KubernetesProvider(settings, client=k8s.kube_client(settings), watch=False)
    try:
        request = make_request(tmp_path)
        handle = provider.submit(request).handle
        k8s.fail_next(500, verb="get", resource="jobs", times=2)
        assert wait_terminal(provider, request, handle).phase == "succeeded"
        assert not [r for r in k8s.requests if r.verb == "watch"]
    finally:
        provider.close()


def test_forbidden_is_explained_and_not_retried(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                tmp_path: Path) -> None:
    k8s.fail_next(403, verb="create", resource="jobs")
    submitted = provider.submit(make_request(tmp_path))
    assert submitted.error is not None
    assert (submitted.error.code, submitted.error.retryable) == ("Forbidden", False)
    assert "refused to create jobs/e1-n0-0 in namespace ml-development" in submitted.error.message
    assert "cannot create resource" in submitted.error.message  # the server's words are kept
    assert len([r for r in k8s.requests if r.verb == "create"]) == 1


def test_missing_namespace_is_explained(k8s: KubernetesDouble, settings: KubernetesSettings, tmp_path: Path) -> None:
    provider = KubernetesProvider(KubernetesSettings(**{**settings.__dict__, "namespace_template": "x-{project}-{domain}"}),
                                  client=k8s.kube_client(settings))
    try:
        submitted = provider.submit(make_request(tmp_path))
    finally:
        provider.close()
    assert submitted.error is not None and submitted.error.code == "NotFound" and not submitted.error.retryable
    assert "namespace x-ml-development does not exist" in submitted.error.message
    assert "flowctl apply" in submitted.error.message


def test_cancel_deletes_the_job_with_background_propagation(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                            tmp_path: Path) -> None:
    stopped = threading.Event()

    def runner(run: PodRun) -> PodResult:
        if run.cancelled.wait(20):
            stopped.set()
        return PodResult(137)

    k8s.runner = runner
    request = make_request(tmp_path)
    handle = provider.submit(request).handle
    assert k8s.wait_for(lambda: provider.status(request.ref, handle).phase == "running")
    provider.cancel(request.ref, handle)
    deletes = [r for r in k8s.requests if r.verb == "delete"]
    assert [(r.resource, r.name, r.query.get("propagationPolicy")) for r in deletes] == [("jobs", "e1-n0-0", "Background")]
    assert k8s.get("jobs", NAMESPACE, "e1-n0-0") is None
    assert k8s.wait_for(lambda: not k8s.list("pods", NAMESPACE))
    assert stopped.wait(5)
    provider.cleanup(request.ref, handle)  # already gone: no error
    gone = provider.status(request.ref, handle)
    assert gone.phase == "failed" and gone.error is not None and gone.error.code == "JobNotFound"


def test_logs_of_a_waiting_pod_are_a_failure_as_data(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                     tmp_path: Path) -> None:
    k8s.pod_fault("image_pull")
    request = make_request(tmp_path)
    handle = provider.submit(request).handle
    assert k8s.wait_for(lambda: provider.status(request.ref, handle).phase == "failed")
    logs = provider.logs(request.ref, handle)
    assert logs.text == "" and logs.error is not None and "waiting to start" in logs.error.message


def test_ttl_after_finished_removes_the_job(k8s: KubernetesDouble, settings: KubernetesSettings, tmp_path: Path) -> None:
    provider = KubernetesProvider(KubernetesSettings(**{**settings.__dict__, "ttl_seconds_after_finished": 0}),
                                  client=k8s.kube_client(settings))
    try:
        request = make_request(tmp_path)
        provider.submit(request)
        assert k8s.wait_for(lambda: not k8s.list("jobs", NAMESPACE) and not k8s.list("pods", NAMESPACE))
    finally:
        provider.close()


@pytest.mark.parametrize("recorded_handle", [True, False])
def test_a_second_cleanup_keeps_the_log_the_first_kept(k8s: KubernetesDouble, provider: KubernetesProvider,
                                                       tmp_path: Path, recorded_handle: bool) -> None:
    """The recovery sweep may clean up an attempt again (two controllers, or a sweep after a cleanup
    whose record was lost), by its handle or, never recorded, by its ref: the Job is gone, the log stays."""
    k8s.runner = run_locally
    task = _python_task(tmp_path, """
        from flowctl import task

        @task
        def work(x: int) -> int:
            print("kept", x)
            return x
    """)
    request = make_request(tmp_path, task=task)
    Path(request.inputs_uri).write_text(json.dumps({"x": 5}))
    handle = provider.submit(request).handle
    assert wait_terminal(provider, request, handle, timeout=30).phase == "succeeded"
    kept = Path(request.outputs_uri).parent / "logs.txt"
    provider.cleanup(request.ref, handle if recorded_handle else "")
    assert k8s.get("jobs", NAMESPACE, "e1-n0-0") is None
    assert "kept 5" in kept.read_text()
    provider.cleanup(request.ref, handle if recorded_handle else "")  # again: nothing left to remove
    assert "kept 5" in kept.read_text()
    assert k8s.get("jobs", NAMESPACE, "e1-n0-0") is None
