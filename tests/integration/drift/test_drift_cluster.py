"""Cluster drift against the Kubernetes API double: objects deleted, edited and added out of band,
a flowctl Job that no attempt in the registry accounts for, and the Jobs it does account for while
executions run (an attempt whose handle a killed controller never recorded, one whose cleanup is not
recorded yet, also in an ended execution: the recovery sweep will run it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from drift_world import World

from flowctl.plans.drift._kube import read_cluster_view, registry_domain_settings, registry_jobs
from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.kubernetes import (
    KubernetesProvider,
    KubernetesSettings,
    apply_objects,
    desired_namespace_objects,
)
from flowctl.providers.kubernetes.testing import KubernetesDouble, PodResult, PodRun
from flowctl.spec import InterfaceSpec, TaskSpec
from flowctl.state._execution_records import AttemptRecord, NewExecution
from flowctl.state._executions import ExecutionStore, open_execution_store
from flowctl.state._pass_write import Finish

LABELS = {"app.kubernetes.io/managed-by": "flowctl"}


@pytest.fixture
def k8s() -> Iterator[KubernetesDouble]:
    release = threading.Event()

    def hold(run: PodRun) -> PodResult:  # pods keep running until the test ends
        release.wait(30)
        return PodResult(0)

    with KubernetesDouble(runner=hold, pod_start_delay=0.01) as double:
        yield double
        release.set()


@pytest.fixture
def settings() -> KubernetesSettings:
    return KubernetesSettings(
        default_image="flowctl:test", backoff_base=0.01, backoff_max=0.05, max_retries=2
    )


def _job(name: str) -> dict:
    container = {"name": "task", "image": "flowctl:test", "command": ["true"]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "ml-development", "labels": LABELS},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"restartPolicy": "Never", "containers": [container]},
            },
        },
    }


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_cluster_drift(world: World, k8s: KubernetesDouble, settings: KubernetesSettings) -> None:
    from kubernetes import client as kube

    kube_client = k8s.kube_client(settings)
    for domain in ("development", "production"):  # what apply created on the cluster
        apply_objects(desired_namespace_objects("ml", domain, settings), kube_client)

    def reader(scopes):  # type: ignore[no-untyped-def]
        return read_cluster_view(kube_client, settings, scopes, lambda: frozenset({"ml-development/live-attempt"}))

    assert world.report(cluster_reader=reader).findings == ()

    core, batch = kube.CoreV1Api(k8s.api_client()), kube.BatchV1Api(k8s.api_client())
    core.delete_namespaced_service_account(settings.service_account, "ml-production")
    core.patch_namespaced_resource_quota(
        "flowctl-quota", "ml-development", {"spec": {"hard": {"requests.cpu": "64"}}}
    )
    core.create_namespaced_resource_quota(
        "ml-development", {"metadata": {"name": "stray", "labels": LABELS}, "spec": {"hard": {"pods": "1"}}}
    )
    core.create_namespaced_resource_quota(
        "ml-development", {"metadata": {"name": "not-ours"}, "spec": {"hard": {}}}
    )
    batch.create_namespaced_job("ml-development", _job("orphan"))
    batch.create_namespaced_job("ml-development", _job("live-attempt"))

    report = world.report(cluster_reader=reader)
    assert [(f.kind.value, f.address) for f in report.findings] == [
        ("orphaned_job", "ml/development/cluster/Job/orphan"),
        ("cluster_object_changed", "ml/development/cluster/ResourceQuota/flowctl-quota"),
        ("cluster_object_extra", "ml/development/cluster/ResourceQuota/stray"),
        ("cluster_object_missing", "ml/production/cluster/ServiceAccount/flowctl-task"),
    ]
    changed = report.findings[1]
    assert changed.before == {'spec.hard["requests.cpu"]': "16"} and changed.after == {
        'spec.hard["requests.cpu"]': "64"
    }
    assert report.cluster_checked


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_deleted_namespace(world: World, k8s: KubernetesDouble, settings: KubernetesSettings) -> None:
    kube_client = k8s.kube_client(settings)
    apply_objects(desired_namespace_objects("ml", "development", settings), kube_client)
    view = read_cluster_view(kube_client, settings, [("ml", "production")], frozenset)
    report = world.report(cluster_reader=lambda scopes: view)
    assert {f.address for f in report.findings} == {
        "ml/production/cluster/Namespace/ml-production",
        "ml/production/cluster/ResourceQuota/flowctl-quota",
        "ml/production/cluster/ServiceAccount/flowctl-task",
        "ml/production/cluster/LimitRange/flowctl-limits",
    }


def test_registry_jobs_of_an_idle_registry(world: World) -> None:
    assert registry_jobs(world.url, KubernetesSettings()) == frozenset()


OWNER = "controller-1"


class Run:
    """One execution of ml/development, its rows written as the controller's passes write them and
    its Jobs created by the kubernetes provider on the double (pods keep running)."""

    def __init__(self, store: ExecutionStore, provider: KubernetesProvider, tmp_path: Path, name: str) -> None:
        self.store, self.provider, self.tmp_path, self.name = store, provider, tmp_path, name
        self.now = datetime.now(UTC)
        self.id = store.create_execution(NewExecution("ml", "development", name, "lp", "v1", "wf", "v1", {})).id
        assert self.id in store.claim_executions(OWNER, now=self.now, lease_seconds=60, limit=100)
        store.save(self.id, OWNER, started_at=self.now)

    def submit(self, node: str, *, record_handle: bool = True) -> AttemptRecord:
        """The pass writes the attempt, then creates its Job; without ``record_handle`` the controller
        is killed before the flush that records the handle."""
        self.now += timedelta(seconds=1)
        attempt = AttemptRecord(node, 0, "submitting", "kubernetes", started_at=self.now)
        assert self.store.save(self.id, OWNER, new_attempts=[attempt]) == [attempt]
        response = self.provider.submit(self._request(node))
        assert response.error is None, response.error
        if record_handle:
            attempt.phase, attempt.handle = "running", response.handle
            self.store.save(self.id, OWNER, attempts=[attempt])
        return attempt

    def end(self, *attempts: AttemptRecord, finish: bool = False) -> None:
        """A pass polls the attempts' end (pod Succeeded) and writes it, its cleanup still to come."""
        self.now += timedelta(seconds=1)
        for attempt in attempts:
            attempt.phase, attempt.finished_at = "succeeded", self.now
        ending = Finish("succeeded", {}, None, self.now) if finish else None
        self.store.save(self.id, OWNER, attempts=list(attempts), finish=ending)

    def clean_up(self, attempt: AttemptRecord) -> None:
        """What the pass does after its submits: the attempt's logs kept, its Job deleted, the cleanup recorded."""
        assert attempt.handle is not None
        self.provider.cleanup(AttemptRef("ml", "development", self.name, attempt.node_id, attempt.attempt), attempt.handle)
        self.record_cleanup(attempt)

    def record_cleanup(self, attempt: AttemptRecord) -> None:
        """The cleanup recorded (``cleaned_at``); alone, as after a cleanup whose delete did not take."""
        self.store.mark_cleaned([(self.id, attempt.node_id, attempt.attempt)], datetime.now(UTC))

    def _request(self, node: str) -> SubmitRequest:
        prefix = self.tmp_path / "blobs" / "ml" / "development" / self.name / node / "0"
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "inputs.json").write_text("{}")
        return SubmitRequest(
            ref=AttemptRef("ml", "development", self.name, node, 0),
            task=TaskSpec(name="t.noop", interface=InterfaceSpec()).to_json(),
            inputs_uri=str(prefix / "inputs.json"), outputs_uri=str(prefix / "outputs.json"), bundle_uri=None,
            blob_store=str(self.tmp_path / "blobs"))


@pytest.fixture
def runs(world: World, k8s: KubernetesDouble, settings: KubernetesSettings, tmp_path: Path) -> Iterator[
        tuple[ExecutionStore, KubernetesProvider]]:
    for domain in ("development", "production"):
        apply_objects(desired_namespace_objects("ml", domain, settings), k8s.kube_client(settings))
    store = open_execution_store(world.url, create=False)
    provider = KubernetesProvider(settings, client=k8s.kube_client(settings), watch=False)
    try:
        yield store, provider
    finally:
        provider.close()
        store.close()


def _orphans(world: World, k8s: KubernetesDouble, settings: KubernetesSettings, *,
             before_read: Callable[[], object] = lambda: None, after_read: Callable[[], object] = lambda: None,
             ) -> list[str]:
    """The Jobs drift names orphaned; ``before_read``/``after_read``: what the controller does just
    before and just after drift reads the registry."""
    kube_client = k8s.kube_client(settings)

    def read_registry() -> frozenset[str]:
        before_read()
        jobs = registry_jobs(world.url, settings)
        after_read()
        return jobs

    def reader(scopes):  # type: ignore[no-untyped-def]
        return read_cluster_view(kube_client, settings, scopes, read_registry)

    findings = world.report(cluster_reader=reader).findings
    assert {f.kind.value for f in findings} <= {"orphaned_job"}, findings
    return [f.address.rsplit("/", 1)[-1] for f in findings]


def test_the_job_of_an_attempt_whose_handle_was_never_recorded_is_not_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    run = Run(*runs, tmp_path, "e-killed")
    run.submit("n0", record_handle=False)  # the next controller adopts the Job by its deterministic name
    assert _orphans(world, k8s, settings) == []


def test_the_job_of_an_attempt_awaiting_its_cleanup_is_not_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    run = Run(*runs, tmp_path, "e-running")
    first = run.submit("n0")
    run.end(first)  # the pod succeeded; the pass submits the next node before it removes n0's Job
    run.submit("n1")
    assert _orphans(world, k8s, settings) == []
    last = Run(*runs, tmp_path, "e-ending")
    attempt = last.submit("n0")
    last.end(attempt, finish=True)  # the execution ends in the same pass; the cleanup follows
    assert _orphans(world, k8s, settings) == []


def test_the_job_of_a_cleanup_a_killed_controller_missed_is_not_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    run = Run(*runs, tmp_path, "e-missed")
    first = run.submit("n0")
    run.end(first)  # the controller is killed here, before n0's cleanup
    second = run.submit("n1")  # the next controller runs on...
    run.end(second, finish=True)
    run.clean_up(second)  # ... and the execution ends: n0's Job awaits the recovery sweep, not a later end
    assert _orphans(world, k8s, settings) == []


def test_the_job_of_an_attempt_past_its_cleanup_is_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    from kubernetes import client as kube

    run = Run(*runs, tmp_path, "e-leaked")
    first = run.submit("n0")
    run.end(first)
    run.record_cleanup(first)  # recorded, yet n0's Job runs on (its delete did not take)
    run.submit("n1")
    done = Run(*runs, tmp_path, "e-done")
    early = done.submit("n0")
    done.end(early)
    done.record_cleanup(early)
    last = done.submit("n1")
    done.end(last, finish=True)
    done.clean_up(last)
    kube.BatchV1Api(k8s.api_client()).create_namespaced_job("ml-development", _job("no-attempt"))
    assert _orphans(world, k8s, settings) == ["e-done-n0-0", "e-leaked-n0-0", "no-attempt"]


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_cli_reads_the_cluster_with_the_kubernetes_provider(
    world: World, k8s: KubernetesDouble, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from flowctl.cli import cmd_drift

    settings = KubernetesSettings()
    kube_client = k8s.kube_client(settings)
    stored = registry_domain_settings(world.url, [("ml", "development"), ("ml", "production")])
    for domain in ("development", "production"):  # as apply made them: with each domain's settings
        apply_objects(desired_namespace_objects("ml", domain, settings.for_domain(stored[("ml", domain)])), kube_client)
    from kubernetes import client as kube

    kube.CoreV1Api(k8s.api_client()).delete_namespaced_service_account(
        settings.for_domain(stored[("ml", "production")]).service_account, "ml-production"
    )
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "double",
                "clusters": [{"name": "double", "cluster": {"server": k8s.url}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "double", "context": {"cluster": "double", "user": "u"}}],
            }
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWCTL_PROVIDER", "kubernetes")
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    app = typer.Typer()
    cmd_drift.register(app)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(
        app, ["drift", "--registry", world.url, "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    doc = json.loads(result.stdout)
    assert doc["cluster_checked"] is True
    assert doc["counts"] == {"cluster_object_missing": 1}
    no_cluster = CliRunner().invoke(
        app, ["drift", "--registry", world.url, "--no-cluster"], catch_exceptions=False
    )
    assert no_cluster.exit_code == 0


@pytest.mark.parametrize("registry_url", ["sqlite"], indirect=True)
def test_a_hand_edited_limit_range_is_drift(world: World, k8s: KubernetesDouble, settings: KubernetesSettings) -> None:
    from kubernetes import client as kube

    kube_client = k8s.kube_client(settings)
    apply_objects(desired_namespace_objects("ml", "development", settings), kube_client)
    kube.CoreV1Api(k8s.api_client()).patch_namespaced_limit_range(
        "flowctl-limits", "ml-development",
        {"spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "4", "memory": "256Mi"}}]}})
    view = read_cluster_view(kube_client, settings, [("ml", "development")], frozenset)
    findings = world.report(cluster_reader=lambda scopes: view).findings
    assert [(f.kind.value, f.address) for f in findings] == [
        ("cluster_object_changed", "ml/development/cluster/LimitRange/flowctl-limits")]


def test_a_job_cleaned_up_while_drift_reads_is_not_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    run = Run(*runs, tmp_path, "e-moving")
    first = run.submit("n0")

    def controller() -> None:  # after drift listed n0's Job: n0 ends and is cleaned up, n1 runs and ends
        run.end(first)
        run.clean_up(first)
        run.end(run.submit("n1"))

    assert _orphans(world, k8s, settings, before_read=controller) == []


def test_a_job_created_just_after_drift_read_the_registry_is_not_orphaned(
    world: World, k8s: KubernetesDouble, settings: KubernetesSettings, runs: tuple[ExecutionStore, KubernetesProvider],
    tmp_path: Path,
) -> None:
    run = Run(*runs, tmp_path, "e-starting")
    assert _orphans(world, k8s, settings, after_read=lambda: run.submit("n0")) == []
