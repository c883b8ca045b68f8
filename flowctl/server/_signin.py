"""Console sign-in and sign-out: with an API token, or through the OIDC provider (code flow + PKCE).

These are the only routes without an operation (``PUBLIC_ROUTES``): they establish who calls. Each
form carries a CSRF token bound to a signed cookie (login CSRF: nobody can sign a victim in as
themselves), and ``next`` only ever leads back into the console (no open redirect).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from flowctl._errors import AuthenticationError
from flowctl.server._auth import Authenticator
from flowctl.server._console import page
from flowctl.server._sessions import Sessions, csrf_matches

router = APIRouter(include_in_schema=False)
PUBLIC_ROUTES = frozenset({"GET /console/signin", "POST /console/signin", "GET /console/signin/oidc",
                           "GET /console/signin/callback", "POST /console/signout"})


def _next(value: str | None) -> str:
    return value if value and value.startswith("/console/") and not value.startswith("//") else "/console/"


def _services(request: Request) -> tuple[Authenticator, Sessions]:
    return request.app.state.authenticator, request.app.state.sessions


def _form(request: Request, status: int = 200, error: str = "", next_: str = "/console/") -> Response:
    auth, sessions = _services(request)
    pending = sessions.pending(request) or {}
    csrf = str(pending.get("csrf") or secrets.token_urlsafe(24))
    response = page(request, "signin.html.j2", status, csrf=csrf, error=error, next=next_,
                    enabled=auth.settings.enabled, oidc=auth.oidc is not None and bool(auth.settings.oidc
                                                                                        and auth.settings.oidc.client_id))
    sessions.set_pending(response, request, {**pending, "csrf": csrf})
    return response


@router.get("/console/signin")
def signin_form(request: Request, next: str | None = None) -> Response:
    return _form(request, next_=_next(next))


@router.post("/console/signin")
async def signin_token(request: Request) -> Response:
    auth, sessions = _services(request)
    fields = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    target = _next(fields.get("next"))
    pending = sessions.pending(request) or {}
    if not csrf_matches(pending, fields.get("csrf_token")):
        return _form(request, 403, "The form expired (CSRF check). Try again.", target)
    try:
        token = auth.store.verify_token(fields.get("token", ""))
    except AuthenticationError as exc:
        return _form(request, 401, exc.diagnostics[0].summary, target)
    response = RedirectResponse(target, status_code=303)
    sessions.start(response, request, {"name": token.subject, "kind": "token", "subjects": [token.subject],
                                       "token_id": token.id})
    return response


@router.get("/console/signin/oidc")
def signin_oidc(request: Request, next: str | None = None) -> Response:
    auth, sessions = _services(request)
    if auth.oidc is None:
        return _form(request, 404, "OIDC sign-in is not configured on this server.", _next(next))
    url, pending = auth.oidc.authorization_url(str(request.url_for("signin_callback")))
    response = RedirectResponse(url, status_code=303)
    sessions.set_pending(response, request, {**pending, "next": _next(next), "csrf": secrets.token_urlsafe(24)})
    return response


@router.get("/console/signin/callback")
def signin_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    auth, sessions = _services(request)
    pending: dict[str, Any] = sessions.pending(request) or {}
    if error or not code or auth.oidc is None:
        return _form(request, 401, f"The sign-in was not completed{f' ({error})' if error else ''}.")
    if not pending.get("state") or not hmac.compare_digest(str(pending["state"]), state):
        return _form(request, 401, "This sign-in does not match the one started here (state). Try again.")
    try:
        claims = auth.oidc.exchange(code, {k: str(v) for k, v in pending.items()})
    except AuthenticationError as exc:
        return _form(request, 401, exc.diagnostics[0].summary)
    user, groups = auth.oidc.identity(claims)
    response = RedirectResponse(_next(str(pending.get("next", ""))), status_code=303)
    sessions.start(response, request, {"name": f"user:{user}", "kind": "oidc",
                                       "subjects": [f"user:{user}", *(f"group:{g}" for g in groups)]})
    return response


@router.post("/console/signout")
async def signout(request: Request) -> Response:
    _, sessions = _services(request)
    fields = parse_qs((await request.body()).decode(errors="replace"))
    session = sessions.read(request)
    if session is not None and not csrf_matches(session, (fields.get("csrf_token") or [""])[0]):
        return _form(request, 403, "The sign-out form expired (CSRF check). Try again.")
    response = RedirectResponse("/console/signin", status_code=303)
    sessions.end(response)
    return response
