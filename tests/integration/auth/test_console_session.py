"""Console sessions: token sign-in, signed HttpOnly cookie, CSRF on every write, revocation ends the session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from auth_support import AuthApp, start

from flowctl.state._auth import open_auth_store

ABORT = "/api/v1/projects/pa/domains/development/executions/run-pa/abort"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[AuthApp]:
    app = start(tmp_path)
    yield app
    app.server.stop()


def sign_in(client: httpx.Client, token: str, next_: str = "/console/executions") -> tuple[int, str]:
    form = client.get("/console/signin", params={"next": next_})
    csrf = re.search(r'id="token-signin">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    done = client.post("/console/signin", data={"token": token, "csrf_token": csrf.group(1), "next": next_},
                       follow_redirects=False)
    return done.status_code, done.headers.get("location", "")


def csrf_of(client: httpx.Client) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/console/").text)
    assert found
    return found.group(1)


def test_sign_in_with_a_token_then_write_with_the_csrf_token(app: AuthApp) -> None:
    client = app.client
    assert sign_in(client, app.tokens[("operator", "pa")]) == (303, "/console/executions")
    page = client.get("/console/executions")
    assert "token:operator-pa" in page.text and "run-pa" in page.text and "run-pb" not in page.text
    assert client.post(ABORT).status_code == 403  # the cookie alone is not enough for a write
    assert client.post(ABORT).json()["title"] == "Missing or wrong CSRF token"
    assert client.post(ABORT, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(ABORT, headers={"X-CSRF-Token": csrf_of(client)}).status_code == 200
    assert app.get("/api/v1/audit", app.tokens[("admin", "*")]).json()[0]["identity"] == "token:operator-pa"


def test_a_viewer_session_is_denied_the_write(app: AuthApp) -> None:
    sign_in(app.client, app.tokens[("viewer", "pa")])
    denied = app.client.post(ABORT, headers={"X-CSRF-Token": csrf_of(app.client)})
    assert denied.status_code == 403 and denied.json()["identity"] == "token:viewer-pa"


def test_bad_tokens_forms_and_cookies_sign_nobody_in(app: AuthApp) -> None:
    status, _ = sign_in(app.client, "fct_000000000000_" + "x" * 43)
    assert status == 401
    form = app.client.get("/console/signin")
    assert "Invalid bearer token" not in form.text
    stolen = app.client.post("/console/signin", data={"token": app.tokens[("admin", "*")], "csrf_token": "guess"},
                             follow_redirects=False)
    assert stolen.status_code == 403 and "flowctl_session" not in stolen.headers.get("set-cookie", "")
    app.client.cookies.set("flowctl_session", "eyJuYW1lIjoidG9rZW46YWRtaW4tYWxsIn0.forged.sig")
    assert app.client.get("/console/", follow_redirects=False).status_code == 303  # to the sign-in page
    assert sign_in(app.client, app.tokens[("viewer", "pa")], next_="https://evil.example.com/")[1] == "/console/"


def test_revoking_the_token_ends_the_session_and_sign_out_works(app: AuthApp) -> None:
    sign_in(app.client, app.tokens[("viewer", "pa")])
    assert app.client.get("/console/").status_code == 200
    auth = open_auth_store(app.server.registry)
    auth.revoke_token("viewer-pa")
    auth.close()
    assert app.client.get("/console/", follow_redirects=False).headers["location"].startswith("/console/signin")
    sign_in(app.client, app.tokens[("viewer", "*")])
    csrf = csrf_of(app.client)
    out = app.client.post("/console/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and 'flowctl_session=""' in out.headers["set-cookie"]
