"""The remote store's HTTP client: the token, and one clear error for every way a server can fail."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from flowctl._config import Config
from flowctl._errors import ApplyError, ImmutabilityError, InputError, LockError, StoreError
from flowctl.cli._stores import open_registry
from flowctl.client import RemoteStore, ServerClient
from flowctl.client._http import TOKEN_ENV

PROBLEM = "application/problem+json"


def client(handler: Callable[[httpx.Request], httpx.Response], token: str | None = None) -> ServerClient:
    return ServerClient("http://flowctl.test", token=token, transport=httpx.MockTransport(handler))


def problem(status: int, code: str, title: str, fix: str = "", where: str = "") -> httpx.Response:
    body = {"title": title, "status": status, "code": code, "fix": fix, "where": where,
            "errors": [{"title": title, "where": where, "fix": fix}]}
    return httpx.Response(status, json=body, headers={"content-type": PROBLEM})


@pytest.mark.parametrize(("status", "code", "cls"), [
    (409, "USER:ApplyError", ApplyError), (409, "USER:LockHeld", LockError),
    (409, "USER:ImmutableVersion", ImmutabilityError), (400, "USER:InputError", InputError),
    (503, "SYSTEM:StoreError", StoreError),
])
def test_a_problem_document_becomes_its_error_class(status: int, code: str, cls: type[Exception]) -> None:
    answer = problem(status, code, "Plan is stale (serial 3 -> 4)", fix="Run `flowctl plan` again.",
                     where="p/d/task/t@v1")
    with pytest.raises(cls) as info:
        client(lambda request: answer).call("GET", "/store/snapshot")
    assert type(info.value) is cls
    text = str(info.value)
    assert "Plan is stale (serial 3 -> 4)" in text and "Run `flowctl plan` again." in text and "p/d/task/t@v1" in text
    assert info.value.diagnostics[0].address == "p/d/task/t@v1"  # apply finds the failing change by it


def test_an_unknown_code_falls_back_on_the_status() -> None:
    with pytest.raises(InputError, match="Invalid request"):
        client(lambda r: problem(422, "USER:InvalidRequest", "Invalid request: field required")).call("POST", "/x")
    with pytest.raises(StoreError, match="Internal server error"):
        client(lambda r: problem(500, "SYSTEM:InternalError", "Internal server error")).call("GET", "/x")


@pytest.mark.parametrize("status", [401, 403])
def test_refusals_say_what_to_do(status: int) -> None:
    answer = problem(status, "AUTH:Denied", "token ci-prod may not deploy my-ml-project/production")
    with pytest.raises(InputError) as info:
        client(lambda r: answer).call("POST", "/store/transactions")
    text = str(info.value)
    assert "refused POST /api/v1/store/transactions: token ci-prod may not deploy" in text
    assert ("FLOWCTL_TOKEN" if status == 401 else "role binding") in text


def test_an_answer_that_is_not_flowctl_names_the_server() -> None:
    answer = httpx.Response(502, text="<html>Bad gateway</html>")
    with pytest.raises(StoreError) as info:
        client(lambda r: answer).call("GET", "/store/snapshot")
    assert "The flowctl server at http://flowctl.test answered 502 to GET /api/v1/store/snapshot" in str(info.value)
    assert "Bad gateway" in str(info.value)


def test_timeouts_and_refused_connections_are_store_errors() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(StoreError, match="did not answer in time"):
        client(slow).call("GET", "/store/snapshot")
    with pytest.raises(StoreError, match=r"Cannot reach the flowctl server at http://flowctl\.test") as info:
        client(down).call("GET", "/store/snapshot")
    assert "Connection refused" in str(info.value) and "FLOWCTL_SERVER" in str(info.value)


def test_the_token_is_sent_as_a_bearer_header(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"done": True})

    monkeypatch.setenv(TOKEN_ENV, "fct_secret")
    client(record).call("GET", "/x")
    client(record, token="explicit").call("GET", "/x")
    monkeypatch.delenv(TOKEN_ENV)
    client(record).call("GET", "/x")
    assert seen == ["Bearer fct_secret", "Bearer explicit", None]


def test_the_opener_chooses_the_server_by_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLOWCTL_SERVER", "FLOWCTL_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "flowctl.toml").write_text('server = "http://127.0.0.1:8999"\n')
    store = open_registry(Config(cwd=tmp_path))
    assert isinstance(store, RemoteStore) and store.url == "http://127.0.0.1:8999"
    store.close()
    monkeypatch.setenv("FLOWCTL_SERVER", "http://127.0.0.1:8998")
    assert Config(cwd=tmp_path).server_url == "http://127.0.0.1:8998"
    assert Config(cwd=tmp_path).origin("server") == "env FLOWCTL_SERVER"
    flag = Config(cwd=tmp_path, flags={"registry.url": f"sqlite:///{tmp_path / 'r.db'}"})
    assert flag.server_url is None, "--registry opens that database directly"
