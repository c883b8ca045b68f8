"""A real `flowctl server` with access control on, over a registry holding two projects (pa, pb) with
one execution each, and one token per role and place: ``tokens[(role, place)]`` with place "pa"
(project pa), "pa/production" or "*" (every project)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from flowctl._roles import ROLES
from flowctl.state._auth import open_auth_store

sys.path.insert(0, str(Path(__file__).parents[1] / "server"))
sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
from engine_support import flows, register
from server_support import ServerProcess

PROJECTS = ("pa", "pb")
DOMAIN = "development"
PLACES = {"pa": ("pa", None), "pa/production": ("pa", "production"), "*": (None, None)}
SESSION_SECRET = "tests-session-secret"


@dataclass
class AuthApp:
    server: ServerProcess
    tokens: dict[tuple[str, str], str]

    @property
    def client(self) -> httpx.Client:
        return self.server.client

    @staticmethod
    def as_(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, token: str | None, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.as_(token))


def make_registry(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'registry.db'}"
    from flowctl.engine import launch
    from flowctl.state._executions import open_execution_store

    for project in PROJECTS:
        register(url, [flows.chain], bundle_uri=None, project=project, domain=DOMAIN)
    store = open_execution_store(url)
    try:
        for project in PROJECTS:
            launch(store, project, DOMAIN, "flows.chain", {"a": 1, "b": 2}, name=f"run-{project}")
    finally:
        store.close()
    return url


def make_tokens(url: str) -> dict[tuple[str, str], str]:
    auth = open_auth_store(url)
    tokens = {}
    try:
        for role in ROLES:
            for place, (project, domain) in PLACES.items():
                name = f"{role}-{place.replace('/', '-').replace('*', 'all')}"
                tokens[(role, place)] = auth.create_token(name, role=role, project=project, domain=domain,
                                                          expires_at=None, created_by="tests")[1]
    finally:
        auth.close()
    return tokens


def auth_server(tmp: Path, url: str, **env: str) -> ServerProcess:
    """The server on ``url`` with access control on (no controller: executions stay queued)."""
    return ServerProcess(tmp, url, str(tmp / "blobs"), controller=False,
                         env={"FLOWCTL_SERVER_AUTH": "true", "FLOWCTL_SESSION_SECRET": SESSION_SECRET, **env})


def start(tmp: Path) -> AuthApp:
    url = make_registry(tmp)
    return AuthApp(auth_server(tmp, url), make_tokens(url))
