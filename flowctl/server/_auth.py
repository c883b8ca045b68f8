"""Who calls: the identity of each request, from a bearer token, an OIDC JWT or a console session.

- No access control configured (``auth.enabled`` false, the default): the server answers
  loopback clients only, each the anonymous local user with the admin role (``flowctl server`` on
  one machine keeps working with no configuration); ``_serve`` refuses a non-loopback address.
- Configured: every request needs ``Authorization: Bearer <token>`` — a flowctl API token
  (``fct_...``, verified against the registry) or, with ``[auth.oidc]``, a JWT of the
  issuer — or a signed console session cookie. The identity's role bindings come from the registry
  (``flowctl role bind``) and, for OIDC groups, from ``auth.oidc.roles``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from flowctl._config import Config
from flowctl._errors import AuthenticationError, InputError, PermissionDeniedError
from flowctl._roles import Binding, check_role
from flowctl.server._operations import Actor
from flowctl.state._types import utcnow

if TYPE_CHECKING:
    from flowctl.server._oidc import OidcVerifier
    from flowctl.state._auth import AuthStore

LOCAL = Binding("anonymous", "admin")
BEARER_HELP = ("Send `Authorization: Bearer <token>` with a token from `flowctl token create` "
               "(or sign in to the console).")


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    audience: str
    jwks_url: str | None
    groups_claim: str
    roles: tuple[Binding, ...]  # group bindings from the configuration
    client_id: str | None
    client_secret: str | None


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool
    session_secret: str | None = None
    oidc: OidcSettings | None = None

    @property
    def description(self) -> str:
        if not self.enabled:
            return "off (loopback clients only)"
        return "API tokens" + (f" and OIDC ({self.oidc.issuer})" if self.oidc else "")

    @classmethod
    def from_config(cls, config: Config) -> AuthSettings:
        enabled = _flag(config, "auth.enabled")
        issuer = config.get("auth.oidc.issuer")
        oidc = None
        if issuer:
            audience = config.get("auth.oidc.audience")
            if not audience:
                raise InputError("OIDC needs an audience", address="auth.oidc.audience",
                                 detail="Set auth.oidc.audience (FLOWCTL_OIDC_AUDIENCE) to the client id or API "
                                 "audience your issuer puts in `aud`.")
            oidc = OidcSettings(issuer.rstrip("/"), audience, config.get("auth.oidc.jwks_url"),
                                config.get("auth.oidc.groups_claim") or "groups",
                                parse_group_roles(config.get("auth.oidc.roles") or ""),
                                config.get("auth.oidc.client_id"), config.get("auth.oidc.client_secret"))
        return cls(enabled or oidc is not None, config.get("auth.session_secret"), oidc)


def _flag(config: Config, key: str) -> bool:
    value = (config.get(key) or "false").strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise InputError(f"Invalid {key} `{value}`", address=f"{key} ({config.origin(key)})", detail="Use true or false.")


def parse_group_roles(text: str) -> tuple[Binding, ...]:
    """``ml=deployer@my-project,sre=operator@my-project/production,admins=admin`` -> group bindings."""
    found = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        group, sep, grant = item.partition("=")
        role, _, where = grant.partition("@")
        project, _, domain = where.partition("/")
        if not sep or not group or not role:
            raise InputError(f"Invalid group role `{item}`", address="auth.oidc.roles",
                             detail="Write GROUP=ROLE, GROUP=ROLE@PROJECT or GROUP=ROLE@PROJECT/DOMAIN "
                             "(in flowctl.toml: roles = { ml = \"deployer@my-project\" }).")
        found.append(Binding(f"group:{group.strip()}", check_role(role.strip()), project or None, domain or None))
    return tuple(found)


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Authenticator:
    """Finds the :class:`Actor` of a request (raises AuthenticationError, 401, when it cannot)."""

    def __init__(self, settings: AuthSettings, store: AuthStore, oidc: OidcVerifier | None = None) -> None:
        self.settings = settings
        self.store = store
        self.oidc = oidc
        if settings.oidc is not None and oidc is None:
            from flowctl.server._oidc import OidcVerifier

            self.oidc = OidcVerifier(settings.oidc)

    def identify(self, request: Request) -> Actor:
        client = request.client.host if request.client else ""
        if not self.settings.enabled:
            if not is_loopback(client):
                raise PermissionDeniedError(
                    f"This server accepts only loopback clients, not {client}",
                    detail="Access control is not configured: set [auth] enabled = true (FLOWCTL_SERVER_AUTH) "
                    "and use tokens from `flowctl token create`.")
            return Actor("anonymous", "local", client, (LOCAL,))
        header = request.headers.get("authorization")
        if header:
            return self.from_bearer(header, client)
        session = getattr(request.state, "flowctl_session", None)
        if session is not None:
            return self.from_session(session, client)
        raise AuthenticationError("Authentication required", address=request.url.path, detail=BEARER_HELP)

    def from_bearer(self, header: str, client: str) -> Actor:
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthenticationError("Unsupported Authorization header", detail=BEARER_HELP)
        if credential.startswith("fct_") or self.oidc is None:
            token = self.store.verify_token(credential)
            self.store.touch(token.id)
            return self.actor(token.subject, "token", client, [token.subject])
        claims = self.oidc.verify(credential)
        return self.oidc_actor(claims, client)

    def oidc_actor(self, claims: dict[str, object], client: str) -> Actor:
        assert self.oidc is not None
        user, groups = self.oidc.identity(claims)
        subjects = [f"user:{user}", *(f"group:{g}" for g in groups)]
        return self.actor(f"user:{user}", "oidc", client, subjects,
                          extra=[b for b in self.oidc.settings.roles if b.subject in subjects])

    def from_session(self, session: dict[str, object], client: str) -> Actor:
        """A console session: the same identity the sign-in found, its bindings read again now."""
        name, kind = str(session.get("name", "")), str(session.get("kind", ""))
        subjects = [str(s) for s in session.get("subjects", []) or []]  # type: ignore[attr-defined]
        if kind == "token":
            token = self.store.token(str(session.get("token_id", "")))
            if token is None or token.state(utcnow()) != "active":
                raise AuthenticationError("The token this session signed in with is no longer valid",
                                          detail="Sign in again (with a valid token).")
        extra = [b for b in self.oidc.settings.roles if b.subject in subjects] if self.oidc and kind == "oidc" else []
        return self.actor(name, kind, client, subjects, extra=extra)

    def actor(self, name: str, kind: str, client: str, subjects: list[str], extra: list[Binding] | None = None) -> Actor:
        bindings = [r.binding for r in self.store.bindings(subjects)] + (extra or [])
        return Actor(name, kind, client, tuple(bindings))
