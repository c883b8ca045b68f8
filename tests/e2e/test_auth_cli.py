"""`flowctl token`, `flowctl role`, `flowctl audit`, and `flowctl server` refusing to listen openly without auth."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_diagnostic, invoke


def _registry(tmp_path: Path) -> dict[str, str]:
    env = {"FLOWCTL_REGISTRY": f"sqlite:///{tmp_path / 'r.db'}"}
    assert invoke("init", env=env).code == 0
    return env


def test_token_create_prints_it_once_then_list_and_revoke(tmp_path: Path) -> None:
    env = _registry(tmp_path)
    created = invoke("token", "create", "--name", "ci-prod", "--role", "deployer", "--project", "my-ml-project",
                     "--domain", "production", "--expires", "90d", env=env)
    assert created.code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("fct_") and "shown once" in created.stderr
    assert "deployer on my-ml-project/production" in created.stderr
    listed = invoke("token", "list", "-o", "json", env=env)
    doc = json.loads(listed.stdout)["tokens"][0]
    assert doc["name"] == "ci-prod" and doc["roles"] == ["deployer@my-ml-project/production"]
    assert doc["state"] == "active" and doc["expires_at"] and token.split("_", 2)[2] not in listed.output
    table = invoke("token", "list", env=env)
    assert "ci-prod" in table.stdout and "active" in table.stdout
    assert invoke("token", "revoke", "ci-prod", env=env).stdout.startswith("Revoked token `ci-prod`")
    assert json.loads(invoke("token", "list", "-o", "json", env=env).stdout)["tokens"][0]["state"] == "revoked"


def test_token_errors_are_clean(tmp_path: Path) -> None:
    env = _registry(tmp_path)
    assert_diagnostic(invoke("token", "create", "--name", "x", "--role", "boss", env=env), "Unknown role `boss`")
    assert_diagnostic(invoke("token", "create", "--name", "x", "--role", "viewer", "--expires", "soon", env=env),
                      "Invalid --expires `soon`", "90d")
    assert_diagnostic(invoke("token", "revoke", "nope", env=env), "No token `nope`", "flowctl token list")
    missing = {"FLOWCTL_REGISTRY": f"sqlite:///{tmp_path / 'none.db'}"}
    assert_diagnostic(invoke("token", "list", env=missing), "No registry")


def test_role_bind_list_unbind(tmp_path: Path) -> None:
    env = _registry(tmp_path)
    bound = invoke("role", "bind", "group:ml", "--role", "deployer", "--project", "p", env=env)
    assert bound.stdout.strip() == "group:ml is deployer on p."
    invoke("role", "bind", "group:ml", "--role", "viewer", "--project", "p", "--domain", "production", env=env)
    rows = json.loads(invoke("role", "list", "-o", "json", env=env).stdout)["bindings"]
    assert [(r["role"], r["project"], r["domain"]) for r in rows] == [("deployer", "p", None), ("viewer", "p", "production")]
    assert invoke("role", "unbind", "group:ml", "--project", "p", "--domain", "production", env=env).code == 0
    assert_diagnostic(invoke("role", "bind", "ml", "--role", "viewer", env=env), "Invalid subject `ml`")


def test_audit_reads_the_log(tmp_path: Path) -> None:
    env = _registry(tmp_path)
    assert "empty" in invoke("audit", env=env).stdout
    from flowctl.state._auth import open_auth_store

    store = open_auth_store(env["FLOWCTL_REGISTRY"])
    store.record(identity="token:ci", identity_kind="token", action="operate", operation="execution.abort",
                 address="p/d/run-1", client="10.0.0.7")
    store.close()
    doc = json.loads(invoke("audit", "-o", "json", env=env).stdout)
    assert doc["entries"][0] | {"at": ""} == {"at": "", "identity": "token:ci", "identity_kind": "token",
                                              "action": "operate", "operation": "execution.abort",
                                              "address": "p/d/run-1", "client": "10.0.0.7", "detail": ""}
    assert "token:ci" in invoke("audit", env=env).stdout


def test_server_refuses_a_public_address_without_access_control(tmp_path: Path) -> None:
    env = _registry(tmp_path)
    result = invoke("server", "--host", "0.0.0.0", "--port", "0", env=env)
    assert_diagnostic(result, "Refusing to listen on 0.0.0.0 without access control", "[auth] enabled = true",
                      "flowctl token create")


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    result = invoke("config", "show", "--json", env={"FLOWCTL_SESSION_SECRET": "s3cret-value"}, cwd=tmp_path)
    rows = {r["key"]: r["value"] for r in json.loads(result.stdout)["settings"]}
    assert rows["auth.session_secret"] == "***" and "s3cret-value" not in result.output
