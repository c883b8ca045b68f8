"""OIDC: JWTs of the configured issuer (keys from its JWKS on 127.0.0.1), groups -> roles; the
console's authorization code flow with PKCE against a fake provider."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from auth_support import auth_server, make_registry
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oidc_support import FakeIssuer

from flowctl._config import Config
from flowctl._errors import InputError, ManifestError
from flowctl.server._auth import AuthSettings, parse_group_roles
from flowctl.state._auth import open_auth_store

PA = "/api/v1/projects/pa/domains/development"


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeIssuer]:
    fake = FakeIssuer()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def client(issuer: FakeIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    tmp = tmp_path_factory.mktemp("oidc")
    url = make_registry(tmp)
    auth = open_auth_store(url)
    auth.bind("user:bob@example.com", "viewer", project="pb", domain=None, created_by="tests")
    auth.close()
    server = auth_server(tmp, url, FLOWCTL_OIDC_ISSUER=issuer.url, FLOWCTL_OIDC_AUDIENCE="flowctl",
                         FLOWCTL_OIDC_ROLES="ml=operator@pa,admins=admin", FLOWCTL_OIDC_CLIENT_ID="flowctl-console")
    yield server.client
    server.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_valid_jwt_gets_its_groups_roles(client: httpx.Client, issuer: FakeIssuer) -> None:
    info = client.get("/api/v1/info", headers=bearer(issuer.token())).json()
    assert info["actor"] == "user:alice@example.com@127.0.0.1" and info["roles"] == ["operator@pa"]
    assert info["auth"] == f"API tokens and OIDC ({issuer.url})"
    listed = client.get("/api/v1/executions", headers=bearer(issuer.token())).json()["items"]
    assert {x["project"] for x in listed} == {"pa"}
    abort = client.post(f"{PA}/executions/run-pa/abort", headers=bearer(issuer.token()))
    assert abort.status_code == 200, abort.text
    entry = client.get("/api/v1/audit", headers=bearer(issuer.token(groups=["admins"]))).json()[0]
    assert (entry["identity"], entry["identity_kind"], entry["operation"], entry["address"]) == (
        "user:alice@example.com", "oidc", "execution.abort", "pa/development/run-pa")


def test_users_get_roles_from_bindings_too(client: httpx.Client, issuer: FakeIssuer) -> None:
    token = issuer.token(sub="u-2", email="bob@example.com", groups=[])
    assert [p["name"] for p in client.get("/api/v1/projects", headers=bearer(token)).json()] == ["pb"]
    denied = client.post("/api/v1/projects/pb/domains/development/executions/run-pb/abort", headers=bearer(token))
    assert denied.status_code == 403 and denied.json()["required_role"] == "operator"


@pytest.mark.parametrize(("change", "message"), [
    ({"aud": "someone-else"}, "Invalid OIDC token: Audience doesn't match"),
    ({"iss": "http://127.0.0.1:1/evil"}, "Invalid OIDC token: Invalid issuer"),
    ({"lifetime": -120}, "The OIDC token has expired"),
])
def test_wrong_audience_issuer_or_expiry_is_401(client: httpx.Client, issuer: FakeIssuer, change: dict[str, object],
                                                message: str) -> None:
    lifetime = int(change.pop("lifetime", 300))  # type: ignore[call-overload]
    response = client.get("/api/v1/info", headers=bearer(issuer.token(lifetime=lifetime, **change)))
    assert response.status_code == 401 and response.json()["title"].startswith(message), response.text


def test_forged_signatures_are_401(client: httpx.Client, issuer: FakeIssuer) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert client.get("/api/v1/info", headers=bearer(issuer.token(key=other))).status_code == 401
    assert client.get("/api/v1/info", headers=bearer(issuer.token(kid="unknown"))).status_code == 401
    public_pem = issuer.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": "flowctl", "sub": "x", "exp": now + 60, "groups": ["admins"]}
    try:  # the HS256-with-the-public-key confusion; newer PyJWT refuses to even make it
        confused = jwt.encode(claims, public_pem, algorithm="HS256", headers={"kid": issuer.kid})
    except jwt.InvalidKeyError:
        confused = None
    if confused is not None:
        assert client.get("/api/v1/info", headers=bearer(confused)).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    assert client.get("/api/v1/info", headers=bearer(unsigned)).status_code == 401


def test_console_sign_in_with_authorization_code_and_pkce(client: httpx.Client, issuer: FakeIssuer) -> None:
    client.cookies.clear()
    assert client.get("/console/executions", follow_redirects=False).headers["location"] == (
        "/console/signin?next=/console/executions")
    start = client.get("/console/signin/oidc", params={"next": "/console/executions"}, follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"].startswith(f"{issuer.url}/authorize?")
    back = httpx.get(start.headers["location"], follow_redirects=False)  # the provider signs alice in
    callback = back.headers["location"]
    assert callback.startswith(f"{str(client.base_url).rstrip('/')}/console/signin/callback?")
    done = client.get(callback, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/console/executions", done.text
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert issuer.token_requests[-1]["code_verifier"]  # PKCE: the verifier went to the token endpoint
    page = client.get("/console/executions")
    assert page.status_code == 200 and "user:alice@example.com" in page.text and "run-pa" in page.text
    assert "run-pb" not in page.text
    # a replayed callback (same code and state) signs nobody in
    client.cookies.clear()
    assert client.get(callback, follow_redirects=False).status_code == 401


def test_group_roles_are_checked() -> None:
    assert [b.scope for b in parse_group_roles("a=viewer, b=deployer@p, c=operator@p/production")] == [
        "*", "p", "p/production"]
    with pytest.raises(InputError, match="Unknown role `boss`"):
        parse_group_roles("a=boss")
    with pytest.raises(InputError, match="Invalid group role `oops`"):
        parse_group_roles("oops")
    with pytest.raises(InputError, match="OIDC needs an audience"):
        AuthSettings.from_config(Config(flags={"auth.oidc.issuer": "https://id.example.com"}))


def test_settings_come_from_flowctl_toml(tmp_path: Path) -> None:
    (tmp_path / "flowctl.toml").write_text(
        '[auth]\nenabled = true\n\n[auth.oidc]\nissuer = "https://id.example.com/"\naudience = "flowctl"\n'
        'roles = { ml = "deployer@my-ml-project", sre = "operator@my-ml-project/production", platform = "admin" }\n')
    settings = AuthSettings.from_config(Config(cwd=tmp_path))
    assert settings.enabled and settings.oidc is not None and settings.oidc.issuer == "https://id.example.com"
    assert [(b.subject, b.role, b.scope) for b in settings.oidc.roles] == [
        ("group:ml", "deployer", "my-ml-project"), ("group:sre", "operator", "my-ml-project/production"),
        ("group:platform", "admin", "*")]
    (tmp_path / "flowctl.toml").write_text("[auth]\nenabled = maybe\n")
    with pytest.raises(ManifestError, match="Invalid TOML"):
        AuthSettings.from_config(Config(cwd=tmp_path))
    (tmp_path / "flowctl.toml").write_text('[auth]\nenabled = "maybe"\n')
    with pytest.raises(InputError, match=r"Invalid auth\.enabled `maybe`"):
        AuthSettings.from_config(Config(cwd=tmp_path))
