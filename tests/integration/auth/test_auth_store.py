"""Tokens, role bindings and the audit log in the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flowctl._errors import AuthenticationError, InputError, NotFoundError
from flowctl._roles import Binding
from flowctl.state import open_store
from flowctl.state._auth import TOKENS, AuthStore, open_auth_store
from flowctl.state._types import utcnow


@pytest.fixture
def store(registry_url: str) -> AuthStore:
    open_store(registry_url).close()
    auth = open_auth_store(registry_url)
    yield auth
    auth.close()


def test_a_token_is_shown_once_and_only_its_salted_hash_is_stored(store: AuthStore) -> None:
    record, token = store.create_token("ci-prod", role="deployer", project="p", domain="production",
                                       expires_at=None, created_by="alice")
    assert token.startswith(f"fct_{record.id}_") and len(token) > 50
    secret = token.split("_", 2)[2]
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(TOKENS)).one()
    assert secret not in str(tuple(row)) and row.secret_hash != secret and len(row.salt) == 32
    assert store.verify_token(token).name == "ci-prod"
    assert [b.binding for b in store.bindings(["token:ci-prod"])] == [Binding("token:ci-prod", "deployer", "p", "production")]
    store.create_token("ci-dev", role="viewer", project="p", domain=None, expires_at=None, created_by="a")
    with store.engine.connect() as conn:
        salts = conn.execute(sa.select(TOKENS.c.salt)).scalars().all()
    assert len(set(salts)) == 2  # salted per token


def test_wrong_secret_with_right_id_malformed_and_unknown_tokens_are_refused(store: AuthStore) -> None:
    record, token = store.create_token("t", role="viewer", project="p", domain=None, expires_at=None, created_by="a")
    store.verify_token(token)  # remembered as verified: the wrong secret must still be refused
    wrong = f"fct_{record.id}_{'A' * 43}"
    with pytest.raises(AuthenticationError, match="Invalid bearer token"):
        store.verify_token(wrong)
    with pytest.raises(AuthenticationError, match="Invalid bearer token"):
        store.verify_token(token[:-1] + ("B" if token[-1] != "B" else "C"))
    with pytest.raises(AuthenticationError, match="Invalid bearer token"):
        store.verify_token(f"fct_{'0' * 12}_{token.split('_', 2)[2]}")  # right secret, unknown id
    with pytest.raises(AuthenticationError, match="Malformed") as malformed:
        store.verify_token("hunter2")
    assert "hunter2" not in str(malformed.value)


def test_revoked_and_expired_tokens_are_refused(store: AuthStore) -> None:
    _, token = store.create_token("old", role="admin", project=None, domain=None, expires_at=None, created_by="a")
    store.verify_token(token)
    assert store.revoke_token("old").revoked_at is not None
    with pytest.raises(AuthenticationError, match="Token `old` is revoked"):
        store.verify_token(token)  # replay after revocation
    _, short = store.create_token("short", role="viewer", project="p", domain=None,
                                  expires_at=utcnow() + timedelta(seconds=-1), created_by="a")
    with pytest.raises(AuthenticationError, match="Token `short` is expired"):
        store.verify_token(short)
    assert {t.name: t.state(utcnow()) for t in store.tokens()} == {"old": "revoked", "short": "expired"}
    with pytest.raises(NotFoundError, match="No token `nope`"):
        store.revoke_token("nope")


def test_token_names_roles_and_scopes_are_checked(store: AuthStore) -> None:
    store.create_token("a", role="viewer", project="p", domain=None, expires_at=None, created_by="x")
    with pytest.raises(InputError, match="A token named `a` exists already"):
        store.create_token("a", role="viewer", project="p", domain=None, expires_at=None, created_by="x")
    with pytest.raises(InputError, match="Unknown role `boss`"):
        store.create_token("b", role="boss", project="p", domain=None, expires_at=None, created_by="x")
    with pytest.raises(InputError, match="--domain needs --project"):
        store.create_token("c", role="viewer", project=None, domain="production", expires_at=None, created_by="x")
    with pytest.raises(InputError, match="Invalid token name"):
        store.create_token("../x", role="viewer", project=None, domain=None, expires_at=None, created_by="x")
    assert [t.name for t in store.tokens()] == ["a"]  # nothing half-written


def test_bindings_replace_per_scope_and_unbind(store: AuthStore) -> None:
    store.bind("group:ml", "deployer", project="p", domain=None, created_by="x")
    store.bind("group:ml", "viewer", project="p", domain="production", created_by="x")
    store.bind("group:ml", "operator", project="p", domain=None, created_by="x")  # replaces deployer on p
    assert sorted((b.binding.role, b.binding.scope) for b in store.bindings(["group:ml"])) == [
        ("operator", "p"), ("viewer", "p/production")]
    store.unbind("group:ml", project="p", domain="production")
    with pytest.raises(NotFoundError, match="has no role binding on p/production"):
        store.unbind("group:ml", project="p", domain="production")
    with pytest.raises(InputError, match="Invalid subject"):
        store.bind("ml", "viewer", project=None, domain=None, created_by="x")


def test_audit_rows_newest_first(store: AuthStore) -> None:
    for n in range(3):
        store.record(identity=f"token:t{n}", identity_kind="token", action="operate", operation="execution.launch",
                     address=f"p/d/lp{n}", client="127.0.0.1")
    rows = store.audit(limit=2)
    assert [r.identity for r in rows] == ["token:t2", "token:t1"]
    assert store.audit(identity="token:t0")[0].address == "p/d/lp0"


def test_last_use_is_recorded_at_most_once_a_minute(store: AuthStore) -> None:
    record, _ = store.create_token("t", role="viewer", project="p", domain=None, expires_at=None, created_by="a")
    store.touch(record.id)
    first = store.token(record.id)
    assert first is not None and first.last_used_at is not None
    store.touch(record.id)  # within the minute: no write
    again = store.token(record.id)
    assert again is not None and again.last_used_at == first.last_used_at


def test_an_unknown_id_costs_the_same_scrypt_as_a_wrong_secret(store: AuthStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing does not tell which token ids exist: both refusals run scrypt once, and compare in constant time."""
    import flowctl.state._auth as auth_module

    record, _ = store.create_token("t", role="viewer", project="p", domain=None, expires_at=None, created_by="a")
    calls: list[str] = []
    compared: list[tuple[object, object]] = []
    real_hash, real_compare = auth_module.hash_secret, auth_module.hmac.compare_digest
    monkeypatch.setattr(auth_module, "hash_secret", lambda secret, salt: calls.append(salt) or real_hash(secret, salt))
    monkeypatch.setattr(auth_module.hmac, "compare_digest",
                        lambda a, b: compared.append((a, b)) or real_compare(a, b))  # type: ignore[arg-type]
    for presented in (f"fct_{record.id}_{'A' * 43}", f"fct_{'0' * 12}_{'A' * 43}"):
        calls.clear()
        with pytest.raises(AuthenticationError, match="Invalid bearer token"):
            store.verify_token(presented)
        assert len(calls) == 1
    assert compared, "the secret's hash is compared with hmac.compare_digest"
