"""OpenID Connect: verify the issuer's JWTs (PyJWT, keys from its JWKS) and the console's code flow with PKCE.

Only asymmetric signatures are accepted (RS*/PS*/ES*), never ``HS*`` or ``none``, so a token
signed with the public key as an HMAC secret is refused. ``iss``, ``aud``, ``exp`` and ``sub``
are required. The identity is ``user:<email or sub>``; the groups claim (``groups`` by default)
gives ``group:<name>`` subjects, whose roles come from role bindings and ``auth.oidc.roles``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

import jwt

from flowctl._errors import AuthenticationError

if TYPE_CHECKING:
    from flowctl.server._auth import OidcSettings

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
LEEWAY_SECONDS = 30
TIMEOUT_SECONDS = 10


class OidcVerifier:
    """Verifies JWTs of one issuer; the discovery document and the JWKS are fetched once (keys refetched
    when a token names an unknown ``kid``, PyJWKClient's behaviour)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: jwt.PyJWKClient | None = None

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                url = f"{self.settings.issuer}/.well-known/openid-configuration"
                self._discovery = _get_json(url)
            return self._discovery

    def _client(self) -> jwt.PyJWKClient:
        if self._keys is None:
            url = self.settings.jwks_url or str(self.discovery().get("jwks_uri", ""))
            if not url:
                raise AuthenticationError("The OIDC issuer has no jwks_uri", address=self.settings.issuer,
                                          detail="Set auth.oidc.jwks_url (FLOWCTL_OIDC_JWKS_URL).")
            self._keys = jwt.PyJWKClient(url, cache_keys=True, timeout=TIMEOUT_SECONDS)
        return self._keys

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid JWT; AuthenticationError saying why it is not one."""
        try:
            key = self._client().get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=ALGORITHMS, audience=self.settings.audience, issuer=self.settings.issuer,
                leeway=LEEWAY_SECONDS, options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("The OIDC token has expired", detail="Sign in again.") from None
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError("Cannot verify the OIDC token", address=self.settings.issuer,
                                      detail=f"{exc}. Check auth.oidc.issuer / jwks_url.") from None
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"Invalid OIDC token: {exc}",
                                      detail=f"The server accepts JWTs of {self.settings.issuer} for audience "
                                      f"`{self.settings.audience}`, signed with one of {', '.join(ALGORITHMS)}.") from None
        return claims

    def identity(self, claims: dict[str, Any]) -> tuple[str, list[str]]:
        """(user, groups) of verified claims."""
        user = str(claims.get("email") or claims["sub"])
        raw = claims.get(self.settings.groups_claim, [])
        groups = [raw] if isinstance(raw, str) else [str(g) for g in raw] if isinstance(raw, list) else []
        return user, groups

    # ------------------------------------------------------------ authorization code flow with PKCE
    def authorization_url(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what the callback must find again (state, nonce, verifier)."""
        if not self.settings.client_id:
            raise AuthenticationError("OIDC sign-in is not configured", address="auth.oidc.client_id",
                                      detail="Set auth.oidc.client_id (FLOWCTL_OIDC_CLIENT_ID).")
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        pending = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24), "verifier": verifier,
                   "redirect_uri": redirect_uri}
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.settings.client_id, "redirect_uri": redirect_uri,
            "scope": "openid email profile", "state": pending["state"], "nonce": pending["nonce"],
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        return f"{self.discovery()['authorization_endpoint']}?{query}", pending

    def exchange(self, code: str, pending: dict[str, str]) -> dict[str, Any]:
        """Trade the code for tokens (with the PKCE verifier); the verified ID token's claims."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending["redirect_uri"],
                "client_id": self.settings.client_id or "", "code_verifier": pending["verifier"]}
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        answer = _post_form(str(self.discovery()["token_endpoint"]), form)
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise AuthenticationError("The OIDC provider returned no ID token", address=self.settings.issuer,
                                      detail=f"Its answer: {sorted(answer)}.")
        claims = self.verify(id_token)
        if claims.get("nonce") != pending["nonce"]:
            raise AuthenticationError("The ID token's nonce does not match this sign-in", detail="Sign in again.")
        return claims


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            doc = json.load(response)
    except (OSError, ValueError) as exc:
        raise AuthenticationError(f"Cannot read {url}", detail=f"{exc}. Check auth.oidc.issuer.") from None
    if not isinstance(doc, dict):
        raise AuthenticationError(f"{url} is not a JSON object", detail="Check auth.oidc.issuer.")
    return doc


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            doc = json.load(response)
    except urllib.error.HTTPError as exc:
        raise AuthenticationError("The OIDC provider refused the sign-in code", address=url,
                                  detail=f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}") from None
    except (OSError, ValueError) as exc:
        raise AuthenticationError(f"Cannot reach the OIDC token endpoint {url}", detail=str(exc)) from None
    return doc if isinstance(doc, dict) else {}
