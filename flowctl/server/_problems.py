"""Errors at the HTTP boundary: every failure becomes an RFC 9457 problem document.

``FlowctlError`` diagnostics map to ``title`` (what), ``where`` (object address or file:line) and
``fix`` (how); the status comes from the error's class. Unexpected exceptions are logged on the
server and answered with a bare 500: a client never sees a stack trace. Console pages get the same
problem rendered as an HTML page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from flowctl._errors import (
    ApplyError,
    AuthenticationError,
    Diagnostic,
    FlowctlError,
    ImmutabilityError,
    LockError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    StoreError,
)
from flowctl.server._models import Problem

log = logging.getLogger("flowctl.server")
MEDIA_TYPE = "application/problem+json"
_STATUS: list[tuple[type[FlowctlError], int]] = [
    (AuthenticationError, 401), (PermissionDeniedError, 403), (NotFoundError, 404), (LockError, 409), (ImmutabilityError, 409), (ApplyError, 409), (StoreError, 503),
    (ProviderError, 502),
]


def status_of(error: FlowctlError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400 if error.blame == "user" else 500


def _where(d: Diagnostic) -> str:
    return ", ".join(part for part in (d.source, d.address) if part)


def from_error(error: FlowctlError, instance: str) -> Problem:
    first = error.diagnostics[0]
    return Problem(
        type=f"urn:flowctl:problem:{error.code}", title=first.summary, status=status_of(error), detail=error.render(),
        instance=instance, code=error.code, where=_where(first), fix=first.detail,
        errors=[{"title": d.summary, "where": _where(d), "fix": d.detail} for d in error.diagnostics],
        **(error.facts if isinstance(error, PermissionDeniedError) else {}),
    )


def from_validation(exc: RequestValidationError, instance: str) -> Problem:
    errors = [{"title": str(e.get("msg", "invalid")), "where": ".".join(str(p) for p in e.get("loc", ())),
               "fix": f"Send a valid value (got {str(e.get('input'))[:80]!r})." if "input" in e else ""}
              for e in exc.errors()]
    first = errors[0] if errors else {"title": "Invalid request", "where": "", "fix": ""}
    return Problem(title=f"Invalid request: {first['title']}", status=422, detail="; ".join(
        f"{e['where']}: {e['title']}" for e in errors), instance=instance, code="USER:InvalidRequest",
        where=first["where"], fix=first["fix"] or "See the OpenAPI document at /api/v1/openapi.json.", errors=errors)


def from_http(exc: HTTPException, instance: str) -> Problem:
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, str(exc.detail))
    fix = "See the routes in the OpenAPI document at /api/v1/openapi.json." if exc.status_code in (404, 405) else ""
    return Problem(title=f"{title}: {instance}" if exc.status_code == 404 else title, status=exc.status_code,
                   detail=str(exc.detail), instance=instance, code=f"HTTP:{exc.status_code}", where=instance, fix=fix)


def respond(request: Request, problem: Problem) -> Response:
    if request.url.path.startswith("/console") or request.url.path == "/":
        from flowctl.server._console import error_page, signin_redirect

        if problem.status == 401 and request.method == "GET":
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return signin_redirect(path)
        return error_page(request, problem)
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=problem.status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    async def on_flowctl(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FlowctlError)
        response = respond(request, from_error(exc, request.url.path))
        if isinstance(exc, AuthenticationError):
            response.headers["WWW-Authenticate"] = 'Bearer realm="flowctl"'
        return response

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, from_validation(exc, request.url.path))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return respond(request, from_http(exc, request.url.path))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        problem = Problem(title="Internal server error", status=500, instance=request.url.path,
                          code="SYSTEM:InternalError", fix="The server log has the details; please report it.")
        return respond(request, problem)

    handlers: dict[Any, Any] = {FlowctlError: on_flowctl, RequestValidationError: on_validation,
                                HTTPException: on_http, Exception: on_unexpected}
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
