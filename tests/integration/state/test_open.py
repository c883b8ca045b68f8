"""Opening registries: URLs, clear errors for unreachable or wrong databases, SQLite settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowctl._address import EntityKind
from flowctl._errors import StoreError
from flowctl.state import open_store

POSTGRES = os.environ.get("FLOWCTL_TEST_POSTGRES", "")
needs_postgres = pytest.mark.skipif(not POSTGRES and not os.environ.get("CI"), reason="FLOWCTL_TEST_POSTGRES is not set")


def test_sqlite_creates_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "registry.db"
    store = open_store(f"sqlite:///{path}")
    assert path.exists()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    assert store.info().schema_version == store.info().schema_head
    store.close()


def test_unsupported_url() -> None:
    with pytest.raises(StoreError, match="Unsupported registry URL `mysql://u:\\*\\*\\*@h/db`"):
        open_store("mysql://u:secret@h/db")


def test_sqlite_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="Cannot create the folder"):
        open_store(f"sqlite:///{blocker}/sub/registry.db")


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="Cannot open the registry") as info:
        open_store(f"sqlite:///{path}")
    assert "not a database" in str(info.value)


def test_unreachable_server_names_masked_url() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql://alice:s3cret@127.0.0.1:1/registry")
    text = str(info.value)
    assert "postgresql://alice:***@127.0.0.1:1/registry" in text and "s3cret" not in text
    assert "server is running" in text
    assert "Traceback" not in text


@needs_postgres
def test_wrong_password_and_missing_database() -> None:
    base = sa.engine.make_url(POSTGRES)
    with pytest.raises(StoreError) as info:
        open_store(base.set(database="no_such_db_flowctl").render_as_string(hide_password=False))
    assert "does not exist" in str(info.value) and "Create the database" in str(info.value)
    with pytest.raises(StoreError) as info:
        open_store(base.set(username="no_such_user", password="pw").render_as_string(hide_password=False))
    assert "no_such_user:***@" in str(info.value) and "pw@" not in str(info.value)


def test_activation_uniqueness_is_a_database_constraint(registry_url: str) -> None:
    store = open_store(registry_url)
    insert = sa.text(
        "INSERT INTO launch_plan_activations (project, domain, name, version, activated_at, managed_by) "
        "VALUES ('p', 'd', 'lp', :version, CURRENT_TIMESTAMP, 'm')"
    )
    with store.engine.begin() as conn:
        conn.execute(insert, {"version": "v1"})
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(insert, {"version": "v2"})
    store.close()


def test_conflicting_insert_keeps_the_transaction_usable(registry_url: str) -> None:
    """Re-registering hits the unique key (ON CONFLICT DO NOTHING): the transaction goes on (PostgreSQL
    would abort it after a plain IntegrityError)."""
    store = open_store(registry_url)
    spec = {"name": "mean", "code": "a"}
    with store.transaction() as tx:
        tx.register(EntityKind.TASK, "p", "d", "mean", "v1", spec, "sha256:a", managed_by="m", created_by="winner")
    with store.transaction() as tx:
        again = tx.register(EntityKind.TASK, "p", "d", "mean", "v1", spec, "sha256:a", managed_by="m", created_by="loser")
        assert not again.created and again.entity.created_by == "winner"
        other = tx.register(EntityKind.TASK, "p", "d", "mean", "v2", spec, "sha256:a", managed_by="m", created_by="loser")
        assert other.created
    assert [e.version for e in store.list_entities(name="mean")] == ["v1", "v2"]
    with pytest.raises(StoreError, match="already exists with different content"), store.transaction() as tx:
        tx.register(EntityKind.TASK, "p", "d", "mean", "v1", {"name": "mean", "code": "b"}, "sha256:b", managed_by="m", created_by="x")
    store.close()
