"""Console sessions: a signed (itsdangerous), HttpOnly, SameSite=Lax cookie, and CSRF protection.

A session holds who signed in (name, kind, subjects; the token id for a token sign-in) and a CSRF
token; roles are not in it: they are read from the registry on every request, so a revoked token
or a removed binding takes effect at once. Every state-changing request authenticated by the
cookie (not by an ``Authorization`` header) must carry the session's CSRF token, in the
``X-CSRF-Token`` header (console.js sends it; a cross-site form cannot set headers); the sign-in
and sign-out forms check their ``csrf_token`` field themselves. ``Lax`` (not ``Strict``) so the OIDC provider's redirect back arrives with the
pending sign-in cookie.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from flowctl._errors import PermissionDeniedError
from flowctl.server._problems import from_error, respond

SESSION_COOKIE = "flowctl_session"
PENDING_COOKIE = "flowctl_signin"  # the sign-in form's CSRF token, and an OIDC sign-in in flight
SESSION_SECONDS = 8 * 3600
PENDING_SECONDS = 600
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGNIN_PREFIX = "/console/sign"


class Sessions:
    """Signs and reads the console's cookies with the server's session secret."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret or secrets.token_urlsafe(32)  # unset: sessions end when the server restarts
        self._session = URLSafeTimedSerializer(self.secret, salt="flowctl.session")
        self._pending = URLSafeTimedSerializer(self.secret, salt="flowctl.signin")

    def read(self, request: Request) -> dict[str, Any] | None:
        return _load(self._session, request.cookies.get(SESSION_COOKIE), SESSION_SECONDS)

    def pending(self, request: Request) -> dict[str, Any] | None:
        return _load(self._pending, request.cookies.get(PENDING_COOKIE), PENDING_SECONDS)

    def start(self, response: Response, request: Request, identity: dict[str, Any]) -> None:
        value = self._session.dumps({**identity, "csrf": secrets.token_urlsafe(24)})
        _set(response, request, SESSION_COOKIE, value, SESSION_SECONDS)
        response.delete_cookie(PENDING_COOKIE, path="/console")

    def set_pending(self, response: Response, request: Request, data: dict[str, Any]) -> None:
        _set(response, request, PENDING_COOKIE, self._pending.dumps(data), PENDING_SECONDS, path="/console")

    @staticmethod
    def end(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")


def _load(serializer: URLSafeTimedSerializer, value: str | None, max_age: int) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        data = serializer.loads(value, max_age=max_age)
    except BadSignature:  # also SignatureExpired: a forged, tampered or old cookie is no session
        return None
    return data if isinstance(data, dict) else None


def _set(response: Response, request: Request, name: str, value: str, max_age: int, path: str = "/") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


def csrf_matches(session: dict[str, Any], given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(str(session.get("csrf", "")), str(given))


def install(app: Any, sessions: Sessions) -> None:
    """The middleware: reads the session cookie into ``request.state`` and enforces CSRF on writes."""

    async def session_middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        session = sessions.read(request)
        if session is not None and "authorization" not in request.headers:
            request.state.flowctl_session = session
            own_check = request.url.path.startswith(SIGNIN_PREFIX)  # the sign-in forms check their own field
            if request.method in UNSAFE and not own_check and not csrf_matches(session, request.headers.get("x-csrf-token")):
                error = PermissionDeniedError(
                    "Missing or wrong CSRF token", address=f"{request.method} {request.url.path}",
                    detail="State-changing requests of a console session carry its CSRF token (header "
                    "X-CSRF-Token). Reload the page and try again.")
                return respond(request, from_error(error, request.url.path))
        return await call_next(request)

    app.middleware("http")(session_middleware)

