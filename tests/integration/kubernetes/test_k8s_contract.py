"""One contract, two API servers: every test runs against the API double and against k8s-sim (a real
kube-apiserver with admission, the Job controller and a scheduler), so the double cannot drift
from what the real server does that flowctl depends on.

Pods run ``python -m flowctl.entrypoint`` on this machine (the double's runner, the simulated
node), reading the attempt's documents from a blob-store folder the test owns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster, python_task, request, wait_terminal, wait_until

from flowctl.plans._cluster import compute_cluster_plan
from flowctl.providers.kubernetes import (
    KubernetesSettings,
    apply_objects,
    desired_namespace_objects,
    read_objects,
)
from flowctl.spec import ResourcesSpec

pytestmark = pytest.mark.slow

PRINTING = """
    import os
    from flowctl import task

    @task
    def work(x: int) -> int:
        print("working on", x, "extra", os.environ.get("EXTRA"), flush=True)
        return x * 2
"""
FAILING = """
    from flowctl import task

    @task
    def work(x: int) -> int:
        print("about to fail", flush=True)
        raise ValueError("x must be positive")
"""
SLEEPING = """
    import time
    from flowctl import task

    @task
    def work(x: int) -> int:
        print("started", flush=True)
        time.sleep(60)
        return x
"""


@pytest.fixture
def settings(cluster: Cluster) -> KubernetesSettings:
    return cluster.settings()


@pytest.fixture
def scope(cluster: Cluster, settings: KubernetesSettings) -> Iterator[tuple[str, str]]:
    """A fresh project-domain namespace with flowctl's Namespace, ResourceQuota, ServiceAccount, LimitRange."""
    project, namespace = cluster.namespace(settings)
    yield project, namespace
    cluster.delete_namespace(namespace)


def _pod_of(cluster: Cluster, namespace: str, job: str) -> dict:  # type: ignore[type-arg]
    from kubernetes import client

    with cluster.api() as api:
        pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"job-name={job}").to_dict()["items"]
    return pods[0] if pods else {}


def test_a_task_without_requests_runs_under_the_default_quota_and_its_logs_outlive_the_job(
        cluster: Cluster, settings: KubernetesSettings, scope: tuple[str, str], tmp_path: Path) -> None:
    project, namespace = scope
    provider = cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, PRINTING), x=21)
        handle = provider.submit(req).handle
        status = wait_terminal(provider, req.ref, handle)
        assert status.phase == "succeeded", status
        assert json.loads(Path(req.outputs_uri).read_text()) == {"o0": 42}
        pod = _pod_of(cluster, namespace, handle.split("/")[1])
        assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "250m", "memory": "256Mi"}
        live = provider.logs(req.ref, handle)
        assert live.error is None and "working on 21" in live.text
        provider.cleanup(req.ref, handle)
        kept = Path(req.outputs_uri).with_name("logs.txt")
        assert kept.read_text() == live.text  # the same text once the Job is gone
        assert wait_until(lambda: provider.logs(req.ref, handle).error is not None)  # only while a pod exists
    finally:
        provider.close()


def test_a_pod_the_quota_refuses_fails_the_attempt_with_the_events_message(
        cluster: Cluster, tmp_path: Path) -> None:
    settings = cluster.settings(default_requests={}, default_limits={})  # no LimitRange, no rendered defaults
    project, namespace = cluster.namespace(settings)
    provider = cluster.provider(settings)
    try:
        assert "LimitRange" not in [o["kind"] for o in desired_namespace_objects(project, "development", settings)]
        req = request(tmp_path, project, python_task(tmp_path, PRINTING))
        handle = provider.submit(req).handle
        status = wait_terminal(provider, req.ref, handle, timeout=45)
        assert status.phase == "failed" and status.error is not None, status
        assert (status.error.code, status.error.kind, status.error.retryable) == ("FailedCreate", "system", False)
        assert "must specify requests.cpu" in status.error.message and "LimitRange" in status.error.message
        assert not _pod_of(cluster, namespace, handle.split("/")[1])
    finally:
        provider.close()
        cluster.delete_namespace(namespace)


def test_a_task_asking_more_than_the_quota_fails_with_the_quota_message(
        cluster: Cluster, settings: KubernetesSettings, scope: tuple[str, str], tmp_path: Path) -> None:
    project, _ = scope
    provider = cluster.provider(settings)
    try:
        task = python_task(tmp_path, PRINTING, requests=ResourcesSpec(cpu="100"))
        req = request(tmp_path, project, task)
        status = wait_terminal(provider, req.ref, provider.submit(req).handle, timeout=45)
        assert status.error is not None and status.error.code == "QuotaExceeded", status
        assert "exceeded quota: flowctl-quota" in status.error.message and "requests.cpu=100" in status.error.message
    finally:
        provider.close()


def test_a_failing_task_carries_its_error_and_its_log(cluster: Cluster, settings: KubernetesSettings,
                                                      scope: tuple[str, str], tmp_path: Path) -> None:
    project, _ = scope
    provider = cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, FAILING))
        handle = provider.submit(req).handle
        status = wait_terminal(provider, req.ref, handle)
        assert status.phase == "failed" and status.error is not None
        assert status.error.kind == "user" and "x must be positive" in status.error.message
        provider.cleanup(req.ref, handle)
        log = Path(req.outputs_uri).with_name("logs.txt").read_text()
        assert "about to fail" in log and "ValueError: x must be positive" in log
    finally:
        provider.close()


def test_a_timeout_stops_the_attempt_and_keeps_its_log(cluster: Cluster, settings: KubernetesSettings,
                                                       scope: tuple[str, str], tmp_path: Path) -> None:
    project, namespace = scope
    provider = cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, SLEEPING), timeout=3)
        handle = provider.submit(req).handle
        assert wait_until(lambda: "started" in provider.logs(req.ref, handle).text)
        status = wait_terminal(provider, req.ref, handle, timeout=30)
        assert status.error is not None and (status.error.code, status.error.kind) == ("Timeout", "user"), status
        provider.cleanup(req.ref, handle)
        assert "started" in Path(req.outputs_uri).with_name("logs.txt").read_text()
        assert wait_until(lambda: not _pod_of(cluster, namespace, handle.split("/")[1]))
    finally:
        provider.close()


def test_cancel_deletes_the_job_and_a_restarted_provider_adopts_a_job(
        cluster: Cluster, settings: KubernetesSettings, scope: tuple[str, str], tmp_path: Path) -> None:
    project, namespace = scope
    first, second = cluster.provider(settings), cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, SLEEPING))
        handle = first.submit(req).handle
        again = second.submit(req)  # a restarted controller submits the same attempt
        assert again.adopted and again.error is None and again.handle == handle
        assert wait_until(lambda: "started" in second.logs(req.ref, handle).text)
        second.cancel(req.ref, handle)
        assert "started" in Path(req.outputs_uri).with_name("logs.txt").read_text()
        gone = wait_terminal(first, req.ref, handle, timeout=20)
        assert gone.error is not None and gone.error.code == "JobNotFound"
        assert wait_until(lambda: not _pod_of(cluster, namespace, handle.split("/")[1]))
    finally:
        first.close()
        second.close()


def test_history_compaction_relists_and_keeps_every_status(cluster: Cluster, scope: tuple[str, str],
                                                           tmp_path: Path) -> None:
    project, _ = scope
    settings = cluster.settings(watch_timeout_seconds=1)  # watches resume from their last resourceVersion often
    provider = cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, PRINTING), x=4)
        handle = provider.submit(req).handle
        namespace = handle.split("/")[0]
        events = provider.informer(namespace, "events")
        assert wait_until(lambda: all(provider.informer(namespace, r).synced for r in ("jobs", "pods", "events")))
        relisted, expired = events.relists, events.expired
        cluster.compact()  # the events watch reaches etcd: its resourceVersion is gone -> 410 Gone
        assert wait_until(lambda: events.expired > expired and events.relists > relisted, timeout=20), events.last_error
        status = wait_terminal(provider, req.ref, handle)
        assert status.phase == "succeeded", status
        jobs = provider.informer(namespace, "jobs")
        assert [j["metadata"]["name"] for j in jobs.items()] == [handle.split("/")[1]]  # once, not twice
        assert json.loads(Path(req.outputs_uri).read_text()) == {"o0": 8}
    finally:
        provider.close()


def test_pod_template_fields_arrive_on_the_server(cluster: Cluster, settings: KubernetesSettings,
                                                  scope: tuple[str, str], tmp_path: Path) -> None:
    from kubernetes.client import V1Container, V1EnvVar, V1PodSpec, V1Toleration

    from flowctl import PodTemplate

    project, namespace = scope
    template = PodTemplate(pod_spec=V1PodSpec(
        containers=[V1Container(name="primary", env=[V1EnvVar(name="EXTRA", value="from-template")])],
        node_selector={"kubernetes.io/os": "linux"},
        tolerations=[V1Toleration(key="flowctl.io/dedicated", operator="Exists", effect="NoSchedule")]))
    provider = cluster.provider(settings)
    try:
        req = request(tmp_path, project, python_task(tmp_path, PRINTING, pod_template=template.to_json()))
        handle = provider.submit(req).handle
        assert wait_terminal(provider, req.ref, handle).phase == "succeeded"
        spec = _pod_of(cluster, namespace, handle.split("/")[1])["spec"]
        assert spec["node_selector"] == {"kubernetes.io/os": "linux"}
        assert {"key": "flowctl.io/dedicated", "operator": "Exists", "effect": "NoSchedule"}.items() <= \
            next(t for t in spec["tolerations"] if t["key"] == "flowctl.io/dedicated").items()
        assert "extra from-template" in provider.logs(req.ref, handle).text
    finally:
        provider.close()


def test_namespace_objects_are_created_read_back_and_a_hand_edit_is_planned_away(
        cluster: Cluster, settings: KubernetesSettings, scope: tuple[str, str]) -> None:
    from kubernetes import client

    project, namespace = scope
    kube = cluster.kube_client(settings)
    try:
        desired = desired_namespace_objects(project, "development", settings)
        seen = read_objects(project, "development", kube, settings)
        assert [o["kind"] for o in seen] == ["Namespace", "ResourceQuota", "ServiceAccount", "LimitRange"]
        assert not compute_cluster_plan({(project, "development"): desired}, {(project, "development"): seen}).has_changes
        with cluster.api() as api:
            client.CoreV1Api(api).patch_namespaced_limit_range("flowctl-limits", namespace, {"spec": {"limits": [
                {"type": "Container", "defaultRequest": {"cpu": "3", "memory": "256Mi"}, "default": {"cpu": "3", "memory": "1Gi"}}]}})
        edited = read_objects(project, "development", kube, settings)
        plan = compute_cluster_plan({(project, "development"): desired}, {(project, "development"): edited})
        assert [(c.kind, c.action) for c in plan.visible_changes] == [("LimitRange", "update")]
        apply_objects([c.after for c in plan.visible_changes], kube)
        restored = read_objects(project, "development", kube, settings)
        assert not compute_cluster_plan({(project, "development"): desired}, {(project, "development"): restored}).has_changes
    finally:
        kube.close()
