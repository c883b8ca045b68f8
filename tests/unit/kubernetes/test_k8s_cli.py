from __future__ import annotations

import subprocess
import sys

import typer
import yaml
from typer.testing import CliRunner

from flowctl.cli import cmd_k8s

app = typer.Typer()
cmd_k8s.register(app)


def test_render_namespace_objects_for_one_domain() -> None:
    result = CliRunner().invoke(app, ["k8s", "render", "--project", "ml", "--domain", "development"])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Namespace", "ResourceQuota", "ServiceAccount", "LimitRange"]
    assert docs[0]["metadata"]["name"] == "ml-development"


def test_render_controller_with_least_privilege_rbac() -> None:
    result = CliRunner().invoke(app, ["k8s", "render", "--controller", "--image", "reg/flowctl:2"])
    assert result.exit_code == 0, result.output
    docs = {d["kind"]: d for d in yaml.safe_load_all(result.stdout)}
    assert set(docs) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment"}
    rules = {(tuple(r["apiGroups"]), tuple(r["resources"])): set(r["verbs"]) for r in docs["ClusterRole"]["rules"]}
    assert rules[(("batch",), ("jobs",))] == {"create", "get", "list", "watch", "delete"}
    assert rules[(("",), ("pods/log",))] == {"get"}
    assert all("*" not in verbs for verbs in rules.values())
    env = {e["name"]: e for e in docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FLOWCTL_REGISTRY"]["valueFrom"]["secretKeyRef"] == {"name": "flowctl-registry", "key": "url"}


def test_render_needs_something_to_render() -> None:
    result = CliRunner().invoke(app, ["k8s", "render"])
    assert result.exit_code != 0


def test_cli_and_provider_package_do_not_import_the_kubernetes_client() -> None:
    code = ("import sys, flowctl, flowctl.cli, flowctl.providers.kubernetes; flowctl.cli._register_commands(); "
            "print('kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
