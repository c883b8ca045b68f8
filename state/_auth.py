"""Access control records: API tokens (only salted scrypt hashes are stored), role bindings, the audit log.

A token reads ``fct_<id>_<secret>``: ``id`` (12 hex digits) finds its row, the secret (32 random
bytes) is compared with ``hmac.compare_digest`` against ``scrypt(secret, salt)``, so a wrong
secret with a right id, a revoked and an expired token are all refused the same way. Verified
secrets are remembered in memory by their SHA-256 (per process), so a busy server runs scrypt once
per token, not per request; revocation and expiry are read from the row on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flowctl._errors import AuthenticationError, InputError, NotFoundError
from flowctl._roles import Binding, check_role, check_subject
from flowctl.state._engine import IMMEDIATE, Conflict, translate_errors, write_transaction
from flowctl.state._tables import AuditRow, RoleBindingRow, TokenRow, table
from flowctl.state._types import utcnow

TOKENS = table(TokenRow)
BINDINGS = table(RoleBindingRow)
AUDIT = table(AuditRow)
PREFIX = "fct_"
_FORMAT = re.compile(r"fct_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
TOUCH_SECONDS = 60
TOKEN_HELP = "Create one with `flowctl token create --name NAME --role ROLE --project PROJECT`."


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"

    @property
    def subject(self) -> str:
        return f"token:{self.name}"


@dataclass(frozen=True)
class BindingRecord:
    binding: Binding
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    identity: str
    identity_kind: str
    action: str
    operation: str
    address: str
    client: str
    detail: str


def hash_secret(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()


class AuthStore:
    """Tokens, role bindings and the audit log of one registry. Thread-safe (one engine, short transactions)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self._url = url
        self._verified: dict[str, bytes] = {}  # token id -> sha256 of the secret that verified
        self._touched: dict[str, datetime] = {}  # token id -> when this process last recorded its use

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with translate_errors(self._url, "read"), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction; a unique-key violation becomes :class:`Conflict`."""
        with translate_errors(self._url, "write"), self.engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with write_transaction(conn):
                yield conn

    # ------------------------------------------------------------ tokens
    def create_token(self, name: str, *, role: str, project: str | None, domain: str | None,
                     expires_at: datetime | None, created_by: str) -> tuple[TokenRecord, str]:
        """A new token bound to ``role`` at project/domain; returns its record and the token text (shown once)."""
        if not _NAME.fullmatch(name):
            raise InputError(f"Invalid token name `{name}`",
                             detail="Use 1-63 letters, digits, `.`, `_` or `-`, starting with a letter or digit.")
        if domain is not None and project is None:
            raise InputError("--domain needs --project", detail="A domain binding is inside one project.")
        check_role(role)
        token_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
        now = utcnow()
        try:
            with self._write() as conn:
                conn.execute(TOKENS.insert().values(id=token_id, name=name, salt=salt,
                                                    secret_hash=hash_secret(secret, salt), created_at=now,
                                                    created_by=created_by, expires_at=expires_at))
                conn.execute(BINDINGS.insert().values(subject=f"token:{name}", role=role, project=project,
                                                      domain=domain, created_at=now, created_by=created_by))
        except Conflict:
            raise InputError(f"A token named `{name}` exists already",
                             detail="Token names are unique (also revoked ones, for the audit log): pick another, "
                             "e.g. with a date suffix.") from None
        return TokenRecord(token_id, name, now, created_by, expires_at, None, None), f"{PREFIX}{token_id}_{secret}"

    def tokens(self) -> list[TokenRecord]:
        with self._read() as conn:
            rows = conn.execute(sa.select(TOKENS).order_by(TOKENS.c.created_at, TOKENS.c.name)).all()
        return [_token(r) for r in rows]

    def token(self, token_id: str) -> TokenRecord | None:
        with self._read() as conn:
            row = conn.execute(sa.select(TOKENS).where(TOKENS.c.id == token_id)).first()
        return _token(row) if row is not None else None

    def revoke_token(self, name_or_id: str) -> TokenRecord:
        """Revoke a token (by name or id); it is refused from the next request on."""
        t = TOKENS.c
        now = utcnow()
        with self._write() as conn:
            row = conn.execute(sa.select(TOKENS).where(sa.or_(t.name == name_or_id, t.id == name_or_id))).first()
            if row is None:
                raise NotFoundError(f"No token `{name_or_id}`", address=f"token/{name_or_id}",
                                    detail="List the tokens with `flowctl token list`.")
            if row.revoked_at is None:
                conn.execute(TOKENS.update().where(t.id == row.id).values(revoked_at=now))
        self._verified.pop(row.id, None)
        from dataclasses import replace

        return replace(_token(row), revoked_at=row.revoked_at or now)

    def verify_token(self, presented: str) -> TokenRecord:
        """The record of a valid token; AuthenticationError for a malformed, unknown, wrong, revoked or
        expired one (the message says which, but never echoes the secret)."""
        match = _FORMAT.fullmatch(presented.strip())
        if match is None:
            raise AuthenticationError("Malformed bearer token",
                                      detail=f"A flowctl token reads fct_<12 hex digits>_<secret>. {TOKEN_HELP}")
        token_id, secret = match.groups()
        with self._read() as conn:
            row = conn.execute(sa.select(TOKENS).where(TOKENS.c.id == token_id)).first()
        digest = hashlib.sha256(secret.encode()).digest()
        remembered = self._verified.get(token_id)
        if row is None or not (
            (remembered is not None and hmac.compare_digest(remembered, digest))
            or hmac.compare_digest(hash_secret(secret, row.salt), row.secret_hash)
        ):
            if row is None:  # as slow as a wrong secret: timing does not tell which ids exist
                hash_secret(secret, "00" * 16)
            raise AuthenticationError("Invalid bearer token",
                                      detail=f"No token has this id and secret. {TOKEN_HELP}")
        self._verified[token_id] = digest
        record = _token(row)
        state = record.state(utcnow())
        if state != "active":
            raise AuthenticationError(f"Token `{record.name}` is {state}",
                                      detail=f"Ask an admin for a new token. {TOKEN_HELP}")
        return record

    def touch(self, token_id: str) -> None:
        """Record when a token was last used: at most once a minute per token and process, so a busy
        server does not take the registry's write lock on every request."""
        now = utcnow()
        last = self._touched.get(token_id)
        if last is not None and (now - last).total_seconds() < TOUCH_SECONDS:
            return
        self._touched[token_id] = now
        with self._write() as conn:
            conn.execute(TOKENS.update().where(TOKENS.c.id == token_id).values(last_used_at=now))

    # ------------------------------------------------------------ role bindings
    def bind(self, subject: str, role: str, *, project: str | None, domain: str | None, created_by: str) -> None:
        """Give ``subject`` ``role`` at the scope (replacing its role there)."""
        check_subject(subject)
        check_role(role)
        if domain is not None and project is None:
            raise InputError("--domain needs --project", detail="A domain binding is inside one project.")
        b = BINDINGS.c
        with self._write() as conn:
            conn.execute(BINDINGS.delete().where(b.subject == subject, _is(b.project, project), _is(b.domain, domain)))
            conn.execute(BINDINGS.insert().values(subject=subject, role=role, project=project, domain=domain,
                                                  created_at=utcnow(), created_by=created_by))

    def unbind(self, subject: str, *, project: str | None, domain: str | None) -> None:
        b = BINDINGS.c
        with self._write() as conn:
            gone = conn.execute(BINDINGS.delete().where(b.subject == subject, _is(b.project, project),
                                                        _is(b.domain, domain))).rowcount
        if not gone:
            where = "/".join(p for p in (project, domain) if p) or "*"
            raise NotFoundError(f"`{subject}` has no role binding on {where}", address=f"{subject}@{where}",
                                detail="List the bindings with `flowctl role list`.")

    def bindings(self, subjects: list[str] | None = None) -> list[BindingRecord]:
        """The bindings of ``subjects`` (None: every binding)."""
        query = sa.select(BINDINGS).order_by(BINDINGS.c.subject, BINDINGS.c.project, BINDINGS.c.domain)
        if subjects is not None:
            query = query.where(BINDINGS.c.subject.in_(subjects))
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [BindingRecord(Binding(r.subject, r.role, r.project, r.domain), r.created_at, r.created_by)
                for r in rows]

    # ------------------------------------------------------------ audit log
    def record(self, *, identity: str, identity_kind: str, action: str, operation: str, address: str,
               client: str, detail: str = "") -> None:
        with self._write() as conn:
            conn.execute(AUDIT.insert().values(at=utcnow(), identity=identity, identity_kind=identity_kind,
                                               action=action, operation=operation, address=address,
                                               client=client, detail=detail[:2000]))

    def audit(self, *, limit: int = 100, identity: str | None = None, since: datetime | None = None) -> list[AuditRecord]:
        """Audit rows, newest first."""
        a = AUDIT.c
        query = sa.select(AUDIT).order_by(a.at.desc(), a.id.desc()).limit(max(1, min(limit, 10_000)))
        if identity is not None:
            query = query.where(a.identity == identity)
        if since is not None:
            query = query.where(a.at >= since)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [AuditRecord(r.id, r.at, r.identity, r.identity_kind, r.action, r.operation, r.address, r.client,
                            r.detail) for r in rows]

    def close(self) -> None:
        self.engine.dispose()


def _is(column: sa.ColumnElement[str | None], value: str | None) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _token(row: sa.Row[tuple[object, ...]]) -> TokenRecord:
    return TokenRecord(row.id, row.name, row.created_at, row.created_by, row.expires_at, row.revoked_at,
                       row.last_used_at)


def open_auth_store(url: str, *, create: bool = False) -> AuthStore:
    """An AuthStore on the registry at ``url`` (``create`` as for ``open_store``)."""
    from flowctl.state._open import open_engine

    return AuthStore(open_engine(url, create=create), url)
