"""No configuration: `flowctl server` answers loopback clients only, as the local admin, and says so."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from starlette.requests import Request

from flowctl._errors import AuthenticationError, PermissionDeniedError
from flowctl.server._auth import Authenticator, AuthSettings
from flowctl.state import open_store
from flowctl.state._auth import open_auth_store

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))


def _request(client: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/v1/projects", "headers": [], "query_string": b"",
                    "client": (client, 5000), "server": ("127.0.0.1", 8080), "scheme": "http"})


def test_only_loopback_clients_are_answered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    store = open_auth_store(url)
    local = Authenticator(AuthSettings(enabled=False), store)
    for address in ("127.0.0.1", "::1"):
        actor = local.identify(_request(address))
        assert (actor.label, [f"{b.role}@{b.scope}" for b in actor.bindings]) == (f"anonymous@{address}", ["admin@*"])
    with pytest.raises(PermissionDeniedError, match=r"accepts only loopback clients, not 192\.0\.2\.10") as info:
        local.identify(_request("192.0.2.10"))
    assert "FLOWCTL_SERVER_AUTH" in info.value.render()
    with pytest.raises(AuthenticationError, match="Authentication required"):
        Authenticator(AuthSettings(enabled=True), store).identify(_request("127.0.0.1"))  # auth on: loopback too
    store.close()


def test_the_server_says_it_is_loopback_only(tmp_path: Path) -> None:
    from server_support import ServerProcess

    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    server = ServerProcess(tmp_path, url, str(tmp_path / "blobs"), controller=False)
    try:
        info = server.get("/api/v1/info")
        assert (info["actor"], info["auth"], info["roles"]) == ("anonymous@127.0.0.1", "off (loopback clients only)",
                                                                ["admin@*"])
        log = server.log.read_text()
        assert "access control: not configured, so only loopback clients are answered" in log
    finally:
        server.stop()
