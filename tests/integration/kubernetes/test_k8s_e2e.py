"""End to end: the seed workflow, applied to a registry, launched, and run by the controller with the
kubernetes provider against the API double. Pods really run the entrypoint (``run_locally``), which
fetches the registered code bundle and writes outputs through the blob store."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, abort, launch
from flowctl.engine._logs import follow, read_log
from flowctl.providers.kubernetes import KubernetesProvider, KubernetesSettings
from flowctl.providers.kubernetes.testing import KubernetesDouble, PodResult, run_locally
from flowctl.state._executions import ExecutionStore, open_execution_store

pytestmark = pytest.mark.slow

SEED = '''
import time

from flowctl import task, workflow
from flowctl._project import Project


@task
def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@task
def standard_deviation(values: list[float], mu: float) -> float:
    from math import sqrt
    return sqrt(sum((x - mu) ** 2 for x in values))


@task
def standard_scale(values: list[float], mu: float, sigma: float) -> list[float]:
    return [(x - mu) / sigma for x in values]


@workflow
def standard_scale_workflow(values: list[float]) -> list[float]:
    mu = mean(values=values)
    sigma = standard_deviation(values=values, mu=mu)
    return standard_scale(values=values, mu=mu, sigma=sigma)


@task
def explode(values: list[float]) -> float:
    raise ValueError("no values today")


@workflow
def failing_workflow(values: list[float]) -> float:
    return explode(values=values)


@task
def nap(values: list[float]) -> float:
    time.sleep(60)
    return 0.0


@workflow
def slow_workflow(values: list[float]) -> float:
    return nap(values=values)


@task(timeout=1.0)
def too_slow(values: list[float]) -> float:
    time.sleep(60)
    return 0.0


@workflow
def timeout_workflow(values: list[float]) -> float:
    return too_slow(values=values)


@task
def ticker(values: list[float]) -> float:
    for i in range(4):
        print("tick", i, flush=True)
        time.sleep(0.4)
    return 0.0


@workflow
def ticking_workflow(values: list[float]) -> float:
    return ticker(values=values)


project = Project("seed", domains=["development"])
dev = project.domain("development")
for wf in (standard_scale_workflow, failing_workflow, slow_workflow, timeout_workflow, ticking_workflow):
    dev.register(wf)
'''
NAMESPACE = "seed-development"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ExecutionStore, str]]:
    """Applied once for the module; every test launches its own execution."""
    tmp_path = tmp_path_factory.mktemp("seed")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "seed.py").write_text(textwrap.dedent(SEED))
    registry_url = f"sqlite:///{tmp_path / 'registry.db'}"
    blob_url = str(tmp_path / "blobs")
    env = {**os.environ, "FLOWCTL_REGISTRY": registry_url, "FLOWCTL_BLOB_STORE": blob_url}
    applied = subprocess.run([sys.executable, "-m", "flowctl", "apply", "flows", "--auto-approve", "--version", "v1"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    store = open_execution_store(registry_url)
    yield store, blob_url
    store.close()


@pytest.fixture
def cluster() -> Iterator[KubernetesDouble]:
    with KubernetesDouble() as k8s:
        k8s.create_namespace(NAMESPACE)
        yield k8s


def _controller(k8s: KubernetesDouble, store: ExecutionStore, blob_url: str) -> Controller:
    settings = KubernetesSettings(default_image="flowctl:test", watch_timeout_seconds=5)
    provider = KubernetesProvider(settings, client=k8s.kube_client(settings))
    return Controller(EngineContext(store, provider, BlobStore(blob_url)), schedules=False)


def _run(controller: Controller) -> None:
    try:
        controller.run(poll_interval=0.05, until_idle=True)
    finally:
        controller.shutdown()


def test_seed_workflow_succeeds_with_correct_outputs(cluster: KubernetesDouble, registry: tuple[ExecutionStore, str]) -> None:
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.standard_scale_workflow", {"values": [1.0, 2.0, 3.0, 4.0, 5.0]})
    _run(_controller(cluster, store, blob_url))
    done = store.get_execution(execution.id)
    assert done is not None and done.phase == "succeeded", done
    assert done.outputs == {"o0": pytest.approx([-0.632455532, -0.316227766, 0.0, 0.316227766, 0.632455532])}
    created = [r for r in cluster.requests if r.verb == "create" and r.resource == "jobs"]
    assert len(created) == 3 and all(r.namespace == NAMESPACE for r in created)
    command = created[0].body["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:3] == ["python", "-m", "flowctl.entrypoint"] and "--bundle-uri" in command


def test_user_failure_fails_the_execution_with_the_users_error(cluster: KubernetesDouble,
                                                               registry: tuple[ExecutionStore, str]) -> None:
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.failing_workflow", {"values": [1.0]})
    _run(_controller(cluster, store, blob_url))
    done = store.get_execution(execution.id)
    assert done is not None and done.phase == "failed"
    assert "no values today" in str(done.error)


def test_abort_deletes_the_running_job(cluster: KubernetesDouble, registry: tuple[ExecutionStore, str]) -> None:
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.slow_workflow", {"values": [1.0]})
    controller = _controller(cluster, store, blob_url)
    runner = threading.Thread(target=_run, args=(controller,), daemon=True)
    runner.start()
    assert cluster.wait_for(lambda: any(p["status"]["phase"] == "Running" for p in cluster.list("pods", NAMESPACE)), 30)
    abort(store, execution.id)
    runner.join(30)
    assert not runner.is_alive()
    done = store.get_execution(execution.id)
    assert done is not None and done.phase == "aborted"
    deletes = [r for r in cluster.requests if r.verb == "delete" and r.resource == "jobs"]
    assert deletes and all(r.query.get("propagationPolicy") == "Background" for r in deletes)
    assert cluster.wait_for(lambda: not cluster.list("pods", NAMESPACE), 10)


def test_timeout_becomes_the_jobs_deadline(cluster: KubernetesDouble, registry: tuple[ExecutionStore, str]) -> None:
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.timeout_workflow", {"values": [1.0]})
    _run(_controller(cluster, store, blob_url))
    done = store.get_execution(execution.id)
    assert done is not None and done.phase in ("failed", "timed_out"), done
    assert "Timeout" in str(done.error) or "timeout" in str(done.error)
    created = [r for r in cluster.requests if r.verb == "create" and r.resource == "jobs"]
    assert created[0].body["spec"]["activeDeadlineSeconds"] == 1 + 30  # the backstop; the provider stopped it at 1 s
    assert created[0].body["metadata"]["annotations"]["flowctl.io/timeout-seconds"] == "1"


def test_a_restarted_controller_finds_its_job_instead_of_starting_another(
    cluster: KubernetesDouble, registry: tuple[ExecutionStore, str]
) -> None:
    store, blob_url = registry
    gate = threading.Event()
    cluster.runner = lambda run: run_locally(run) if gate.wait(30) else PodResult(1)
    execution = launch(store, "seed", "development", "seed.standard_scale_workflow", {"values": [1.0, 3.0]})
    first = _controller(cluster, store, blob_url)
    thread = threading.Thread(target=_run, args=(first,), daemon=True)
    thread.start()
    assert cluster.wait_for(lambda: bool(cluster.list("jobs", NAMESPACE)), 30)
    first.stop()  # the controller process goes away while the Job runs
    thread.join(30)
    assert not thread.is_alive()
    gate.set()
    _run(_controller(cluster, store, blob_url))
    done = store.get_execution(execution.id)
    assert done is not None and done.phase == "succeeded", done
    assert done.outputs == {"o0": pytest.approx([-0.7071067811865475, 0.7071067811865475])}
    names = [r.body["metadata"]["name"] for r in cluster.requests if r.verb == "create" and r.resource == "jobs"]
    # one Job per node and no extra attempt: the restarted controller followed (or adopted, 409) the first Job
    assert len(set(names)) == 3


def test_logs_follow_a_running_attempt_and_outlive_its_job(cluster: KubernetesDouble,
                                                           registry: tuple[ExecutionStore, str]) -> None:
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.ticking_workflow", {"values": [1.0]})
    runner = threading.Thread(target=_run, args=(_controller(cluster, store, blob_url),), daemon=True)
    runner.start()
    assert cluster.wait_for(lambda: any(a.handle for rows in store.load_attempts(execution.id).values() for a in rows), 30)
    (attempt,) = store.load_attempts(execution.id)["n0"]
    settings = KubernetesSettings(default_image="flowctl:test")
    reader = KubernetesProvider(settings, client=cluster.kube_client(settings))  # what `executions logs -f` uses
    try:
        pieces = list(follow(store, execution, attempt, lambda a: reader, poll=0.05))
        runner.join(30)
        text = "".join(pieces)
        assert all(f"tick {i}" in text for i in range(4)) and len(pieces) > 1, pieces  # printed as it grew
        assert not cluster.list("jobs", NAMESPACE) and not cluster.list("pods", NAMESPACE)  # cleaned up
        (finished,) = store.load_attempts(execution.id)["n0"]
        assert finished.phase == "succeeded"
        assert read_log(execution, finished, lambda a: reader).text == text  # the copy in the blob store
    finally:
        reader.close()


def test_a_finished_attempt_is_recorded_before_its_job_is_deleted(cluster: KubernetesDouble,
                                                                  registry: tuple[ExecutionStore, str]) -> None:
    """A controller killed between the two must not find a running attempt whose Job is gone."""
    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.standard_scale_workflow", {"values": [1.0, 2.0]})
    recorded: list[str] = []

    class Recording(KubernetesProvider):
        def cleanup(self, ref, handle):  # type: ignore[no-untyped-def]
            rows = store.load_attempts(execution.id)[ref.node]
            recorded.append(next(a.phase for a in rows if a.attempt == ref.attempt))
            super().cleanup(ref, handle)

    settings = KubernetesSettings(default_image="flowctl:test", watch_timeout_seconds=5)
    provider = Recording(settings, client=cluster.kube_client(settings))
    _run(Controller(EngineContext(store, provider, BlobStore(blob_url)), schedules=False))
    assert recorded == ["succeeded"] * 3


def test_an_attempt_whose_handle_was_never_recorded_is_still_cleaned_up(cluster: KubernetesDouble,
                                                                       registry: tuple[ExecutionStore, str]) -> None:
    """A controller that dies after creating a Job but before recording its handle: the next pass finds
    the attempt's outputs, and the Job is still found by its name, its logs kept and it is deleted."""
    import time
    from pathlib import Path

    store, blob_url = registry
    execution = launch(store, "seed", "development", "seed.standard_scale_workflow", {"values": [1.0, 2.0]})

    class DiesAfterTheFirstJob(KubernetesProvider):
        died = False

        def submit(self, request):  # type: ignore[no-untyped-def]
            response = super().submit(request)
            if not DiesAfterTheFirstJob.died:
                DiesAfterTheFirstJob.died = True
                deadline = time.monotonic() + 30
                while not Path(request.outputs_uri).exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                raise RuntimeError("the controller died before it recorded the handle")
            return response

    settings = KubernetesSettings(default_image="flowctl:test", watch_timeout_seconds=5)
    provider = DiesAfterTheFirstJob(settings, client=cluster.kube_client(settings))
    _run(Controller(EngineContext(store, provider, BlobStore(blob_url)), schedules=False))
    done = store.get_execution(execution.id)
    assert done is not None and done.phase == "succeeded", done
    (first,) = store.load_attempts(execution.id)["n0"]
    assert first.handle is None and first.phase == "succeeded"
    assert Path(first.log_uri or "").is_file()  # its logs were kept
    assert cluster.wait_for(lambda: not cluster.list("jobs", NAMESPACE), 10)  # and its Job removed
