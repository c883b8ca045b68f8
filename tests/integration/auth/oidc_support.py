"""A tiny OpenID Connect provider on 127.0.0.1 for tests: discovery, JWKS, authorize, token (PKCE S256).

``FakeIssuer.token(...)`` signs JWTs with its RSA key; the /authorize endpoint signs the user in at
once (``next_user``) and redirects back with a code; /token checks the PKCE verifier against the
challenge before it returns the ID token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa


class FakeIssuer:
    def __init__(self, audience: str = "flowctl") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.audience = audience
        self.next_user: dict[str, Any] = {"sub": "u-1", "email": "alice@example.com", "groups": ["ml"]}
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests: list[dict[str, str]] = []
        issuer = self
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(self, *, lifetime: int = 300, key: Any = None, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "aud": self.audience, "iat": now, "exp": now + lifetime, **self.next_user, **claims}
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(issuer: FakeIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, doc: Any, status: int = 200) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json({"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks",
                            "authorization_endpoint": f"{issuer.url}/authorize", "token_endpoint": f"{issuer.url}/token"})
            elif url.path == "/jwks":
                self._json(issuer.jwks())
            elif url.path == "/authorize":
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                assert q["code_challenge_method"] == "S256" and q["response_type"] == "code"
                code = secrets.token_urlsafe(16)
                issuer.codes[code] = q
                self.send_response(302)
                self.send_header("Location", f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}")
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            issuer.token_requests.append(form)
            asked = issuer.codes.pop(form.get("code", ""), None)
            if asked is None:
                return self._json({"error": "invalid_grant"}, 400)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).decode()
            if challenge.rstrip("=") != asked["code_challenge"] or form["redirect_uri"] != asked["redirect_uri"]:
                return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            return self._json({"access_token": "opaque", "token_type": "Bearer",
                               "id_token": issuer.token(nonce=asked["nonce"])})

    return Handler
