"""`flowctl plan` / `apply` with the kubernetes provider show and make the per project-domain objects
(Namespace, ResourceQuota, ServiceAccount) on the API double, through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowctl.providers.kubernetes.testing import KubernetesDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "my_ml_project"
DOMAINS = ("development", "staging", "production")


@dataclass
class Cli:
    root: Path
    env: dict[str, str]

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=self.root, env={**self.env, **env},
                              capture_output=True, text=True, timeout=120)


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "double",
        "clusters": [{"name": "double", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "double", "context": {"cluster": "double", "user": "u"}}],
    }))
    return path


@pytest.fixture
def double() -> Iterator[KubernetesDouble]:
    with KubernetesDouble() as k8s:
        yield k8s


@pytest.fixture
def cli(tmp_path: Path, double: KubernetesDouble) -> Cli:
    root = tmp_path / "my_ml_project"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWCTL_", "KUBE"))}
    env.update({
        "FLOWCTL_PROVIDER": "kubernetes",
        "KUBECONFIG": str(write_kubeconfig(tmp_path / "kubeconfig", double.url)),
        "FLOWCTL_DEFAULT_IMAGE": "flowctl:test",
        "FLOWCTL_REGISTRY": f"sqlite:///{tmp_path / 'registry.db'}",
        "FLOWCTL_BLOB_STORE": str(tmp_path / "blobs"),
        "FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE": "1",  # the double's pods share this machine
    })
    return Cli(root, env)


def set_quota_cpu(double: KubernetesDouble, namespace: str, cpu: str) -> None:
    from kubernetes import client

    client.CoreV1Api(double.api_client()).patch_namespaced_resource_quota(
        "flowctl-quota", namespace, {"spec": {"hard": {"requests.cpu": cpu}}})


def quota_cpu(double: KubernetesDouble, namespace: str) -> str:
    quota = double.get("resourcequotas", namespace, "flowctl-quota")
    assert quota is not None
    return str(quota["spec"]["hard"]["requests.cpu"])


def test_plan_shows_and_apply_creates_then_restores_the_namespace_objects(cli: Cli, double: KubernetesDouble,
                                                                          tmp_path: Path) -> None:
    first = cli.run("plan", "--version", "v1", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert '+ Namespace "my-ml-project/staging/k8s/Namespace/my-ml-project-staging" {' in first.stdout
    assert '+ spec.hard["requests.cpu"]' in first.stdout
    assert '+ LimitRange "my-ml-project/staging/k8s/LimitRange/flowctl-limits" {' in first.stdout
    assert first.stdout.rstrip().endswith("Kubernetes: 12 to create, 0 to update.")
    assert double.list("namespaces") == []  # plan never writes

    applied = cli.run("apply", "--version", "v1", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Kubernetes apply complete! Objects: 12 created, 0 updated." in applied.stdout
    for domain in DOMAINS:
        namespace = f"my-ml-project-{domain}"
        ns = double.get("namespaces", "", namespace)
        assert ns is not None and ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "flowctl"
        assert quota_cpu(double, namespace) == "16"
    # production declares its service account in the manifests: that is the one created there
    assert double.get("serviceaccounts", "my-ml-project-production", "ml-production") is not None
    assert double.get("serviceaccounts", "my-ml-project-staging", "flowctl-task") is not None
    # every namespace gets default requests/limits; staging's come from its declared requests
    limits = {d: double.get("limitranges", f"my-ml-project-{d}", "flowctl-limits") for d in DOMAINS}
    assert limits["development"]["spec"]["limits"][0]["defaultRequest"] == {"cpu": "250m", "memory": "256Mi"}  # type: ignore[index]
    assert limits["staging"]["spec"]["limits"][0]["defaultRequest"] == {"cpu": "500m", "memory": "1Gi"}  # type: ignore[index]

    follows = cli.run("apply", "--version", "v1", "--auto-approve")  # staging follows (one step per apply)
    assert follows.returncode == 0 and "Kubernetes apply" not in follows.stdout, follows.stdout + follows.stderr
    second = cli.run("plan", "--version", "v1", "--json", "--detailed-exitcode")
    assert second.returncode == 0, second.stdout + second.stderr
    assert json.loads(second.stdout)["cluster_changes"] == []

    set_quota_cpu(double, "my-ml-project-staging", "99")
    drifted = cli.run("plan", "--version", "v1", "--detailed-exitcode", "--out", str(tmp_path / "fix.plan"))
    assert drifted.returncode == 2, drifted.stderr
    assert '~ ResourceQuota "my-ml-project/staging/k8s/ResourceQuota/flowctl-quota" {' in drifted.stdout
    assert '~ spec.hard["requests.cpu"] = "99" -> "16"' in drifted.stdout
    assert drifted.stdout.rstrip().endswith("No changes. The registry matches your manifests.\n"
                                            "Kubernetes: 0 to create, 1 to update.")
    as_json = json.loads(cli.run("plan", "--version", "v1", "--json").stdout)
    assert [(c["action"], c["address"], c["fields"]) for c in as_json["cluster_changes"]] == [
        ("update", "my-ml-project/staging/k8s/ResourceQuota/flowctl-quota",
         [{"path": 'spec.hard["requests.cpu"]', "before": "99", "after": "16"}])]

    saved = cli.run("apply", str(tmp_path / "fix.plan"), "--auto-approve")
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert "updated: my-ml-project/staging/k8s/ResourceQuota/flowctl-quota" in saved.stderr
    assert quota_cpu(double, "my-ml-project-staging") == "16"


def test_a_saved_plan_is_refused_when_the_cluster_moved(cli: Cli, double: KubernetesDouble, tmp_path: Path) -> None:
    plan_file = tmp_path / "first.plan"
    planned = cli.run("plan", "--version", "v1", "--out", str(plan_file))
    assert planned.returncode == 0, planned.stderr
    double.create_namespace("my-ml-project-staging")  # someone creates a namespace by hand meanwhile
    refused = cli.run("apply", str(plan_file), "--auto-approve")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Plan is stale" in refused.stderr
    assert ("my-ml-project/staging/k8s/Namespace/my-ml-project-staging: created on the cluster since the plan was "
            "made") in refused.stderr
    assert double.get("resourcequotas", "my-ml-project-development", "flowctl-quota") is None  # nothing applied
    fresh = cli.run("apply", "--version", "v1", "--auto-approve")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "Objects: 11 created, 1 updated." in fresh.stdout


def test_the_local_provider_plans_no_cluster_objects(cli: Cli, double: KubernetesDouble) -> None:
    result = cli.run("plan", "--version", "v1", "--json", FLOWCTL_PROVIDER="local")
    assert result.returncode == 0, result.stderr
    assert "cluster_changes" not in json.loads(result.stdout)
    assert double.requests == []


def test_an_unreachable_cluster_is_one_clear_error(cli: Cli, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "gone", "http://127.0.0.1:9")
    result = cli.run("plan", "--version", "v1", KUBECONFIG=str(kubeconfig))
    assert result.returncode == 1
    assert "Cannot reach the Kubernetes API server at http://127.0.0.1:9" in result.stderr
    assert "FLOWCTL_PROVIDER=local" in result.stderr
    assert "Traceback" not in result.stderr


def test_plan_refuses_a_local_blob_store_with_the_kubernetes_provider(cli: Cli, double: KubernetesDouble) -> None:
    result = cli.run("plan", "--version", "v1", FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE="")
    assert result.returncode == 1, result.stdout
    assert "is a local folder, which Kubernetes pods cannot read" in result.stderr
    assert "FLOWCTL_BLOB_STORE=s3://" in result.stderr and "Traceback" not in result.stderr
    assert double.requests == []


def test_the_controller_refuses_to_start_with_a_local_blob_store(cli: Cli, double: KubernetesDouble) -> None:
    result = cli.run("controller", "--once", "--no-schedules", FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE="")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is a local folder, which Kubernetes pods cannot read" in result.stderr and "Traceback" not in result.stderr
    assert not [r for r in double.requests if r.verb == "create"]
