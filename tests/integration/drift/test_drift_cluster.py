"""Cluster drift against the Kubernetes API double: objects deleted, edited and added out of band,
and a flowctl Job that no live attempt owns."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from drift_world import World

from flowctl.plans.drift._kube import live_attempt_handles, read_cluster_view, registry_domain_settings
from flowctl.providers.kubernetes import KubernetesSettings, apply_objects, desired_namespace_objects
from flowctl.providers.kubernetes.testing import KubernetesDouble, PodResult, PodRun

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
        return read_cluster_view(kube_client, settings, scopes, frozenset({"ml-development/live-attempt"}))

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
    view = read_cluster_view(kube_client, settings, [("ml", "production")], frozenset())
    report = world.report(cluster_reader=lambda scopes: view)
    assert {f.address for f in report.findings} == {
        "ml/production/cluster/Namespace/ml-production",
        "ml/production/cluster/ResourceQuota/flowctl-quota",
        "ml/production/cluster/ServiceAccount/flowctl-task",
        "ml/production/cluster/LimitRange/flowctl-limits",
    }


def test_live_attempt_handles_of_an_idle_registry(world: World) -> None:
    assert live_attempt_handles(world.url) == frozenset()


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
    view = read_cluster_view(kube_client, settings, [("ml", "development")], frozenset())
    findings = world.report(cluster_reader=lambda scopes: view).findings
    assert [(f.kind.value, f.address) for f in findings] == [
        ("cluster_object_changed", "ml/development/cluster/LimitRange/flowctl-limits")]
