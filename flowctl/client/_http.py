"""One HTTP client per command: the server's URL, the bearer token, timeouts, and errors.

Every failure is one FlowctlError naming the server: a problem document (RFC 9457, see
``flowctl.server._problems``) becomes the error class its ``code`` names, with its diagnostics, so
a stale plan, a held lock or an immutable version reads (and exits) exactly as it does on a
database; an unreachable server or an answer that is not flowctl's says which server and how to fix.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from flowctl import _errors
from flowctl._errors import Diagnostic, FlowctlError, InputError, StoreError
from flowctl._redact import mask_url

TOKEN_ENV = "FLOWCTL_TOKEN"
CONNECT_SECONDS = 10.0
READ_SECONDS = 120.0  # a 10,000-workflow apply is one transaction request


def _error_classes() -> dict[str, type[FlowctlError]]:
    found: dict[str, type[FlowctlError]] = {}
    todo: list[type[FlowctlError]] = [FlowctlError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == _errors.__name__:
            found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return found


class ServerClient:
    """Requests to the flowctl server at ``url`` (``/api/v1/...``), with ``FLOWCTL_TOKEN`` if set."""

    def __init__(self, url: str, *, token: str | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, transport=transport,
                                  timeout=httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS))
        self._codes = _error_classes()

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
             timeout: float | None = None, content: bytes | None = None) -> Any:
        """The JSON answer of ``method path``; raises the FlowctlError the server answered with."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        extra: dict[str, Any] = {"timeout": httpx.Timeout(timeout, connect=CONNECT_SECONDS)} if timeout else {}
        try:
            response = self._http.request(method, "/api/v1" + path, json=json, params=query, content=content,
                                          **extra)
        except httpx.TimeoutException as exc:
            raise StoreError(f"The flowctl server at {mask_url(self.url)} did not answer in time",
                             detail=f"{type(exc).__name__} on {method} /api/v1{path}. Check that the server is "
                             "healthy, or retry.") from None
        except httpx.HTTPError as exc:
            raise StoreError(f"Cannot reach the flowctl server at {mask_url(self.url)}",
                             detail=f"{exc or type(exc).__name__}. Check FLOWCTL_SERVER (or `server` in "
                             "flowctl.toml) and that `flowctl server` runs there and is reachable from here.") from None
        if response.is_success:
            return response.json() if response.content else None
        raise self._error(response, f"{method} /api/v1{path}")

    def _error(self, response: httpx.Response, what: str) -> FlowctlError:
        try:
            problem = response.json()
        except ValueError:
            problem = None
        server = mask_url(self.url)
        if not isinstance(problem, dict) or "title" not in problem:
            return StoreError(f"The flowctl server at {server} answered {response.status_code} to {what}",
                              detail=f"{response.text[:200].strip() or response.reason_phrase}. Is FLOWCTL_SERVER "
                              "the address of a flowctl server (not a proxy or another service)?")
        if response.status_code in (401, 403):
            hint = ("Set FLOWCTL_TOKEN to a token the server accepts (`flowctl token create` on the server)."
                    if response.status_code == 401 else "Ask an admin for a role binding that allows it.")
            return InputError(f"The flowctl server at {server} refused {what}: {problem['title']}",
                              detail="\n".join(p for p in (str(problem.get("fix") or ""), hint) if p))
        cls = self._codes.get(str(problem.get("code", "")))
        if cls is None:
            cls = InputError if 400 <= response.status_code < 500 else StoreError
        entries = problem.get("errors") or [{"title": problem["title"], "where": problem.get("where", ""),
                                            "fix": problem.get("fix", "")}]
        diagnostics = [Diagnostic(str(e.get("title", "")), str(e.get("fix", "")), address=str(e.get("where", "")))
                       for e in entries]
        return cls(diagnostics=diagnostics)
