"""Models and migrations agree (Alembic's ``check``); the head constant is the newest revision."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import flowctl.state as state
from flowctl._errors import NoRegistryError, SchemaVersionError, StoreError
from flowctl.state import SCHEMA_HEAD, open_store
from flowctl.state import _migrate as migrate_module
from flowctl.state._migrate import known_revisions
from flowctl.state._tables import metadata


def test_head_constant_is_the_newest_revision() -> None:
    assert known_revisions()[-1] == SCHEMA_HEAD


def test_models_match_migrations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diffs == [], "models changed without a migration: add a revision in state/migrations/versions"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="written by a newer flowctl") as info:
        open_store(url)
    assert "9999" in str(info.value) and "Upgrade flowctl" in str(info.value)


def test_an_older_schema_is_refused_unless_creating(tmp_path: Path) -> None:
    """A registry at 0001 meets this flowctl (newer schema): only migrate/apply/init upgrade it."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from flowctl.state._engine import create_engine

    url = f"sqlite:///{tmp_path / 'r.db'}"
    open_store(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        config = AlembicConfig()
        config.set_main_option("script_location", str(migrate_module.MIGRATIONS))
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    engine.dispose()
    with pytest.raises(SchemaVersionError) as info:
        open_store(url, create=False)
    assert info.value.diagnostics[0].summary == (
        f"Registry schema is version 0001, this flowctl needs {migrate_module.SCHEMA_HEAD}: run `flowctl registry migrate`")
    open_store(url).close()  # creating (apply, init, migrate) upgrades it
    open_store(url, create=False).close()


def test_an_empty_registry_is_not_created_without_create(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    with pytest.raises(NoRegistryError, match="run `flowctl apply` or `flowctl init` to create one"):
        open_store(url, create=False)
    assert not (tmp_path / "new.db").exists()
    open_store(url).close()
    open_store(url, create=False).close()


def test_exported_names() -> None:
    public = {name for name in dir(state) if not name.startswith("_") and not isinstance(getattr(state, name), type(state))}
    assert public == set(state.__all__)
    assert {"open_store", "SqlStore", "Store", "RegistrySnapshot", "lock_info", "new_apply_record"} <= public


def test_a_registry_that_cannot_be_created_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating is all or nothing: the schema fails (as on a full disk), the file and folders go."""
    from flowctl.state import _open

    def full(engine: sa.Engine, url: str, **_: object) -> None:
        with engine.begin() as connection:  # SQLite writes the file, as a half-made schema does
            connection.exec_driver_sql("CREATE TABLE half (x)")
        raise StoreError(f"Cannot migrate the registry at {url}", detail="database or disk is full")

    (tmp_path / "kept").mkdir()
    url = f"sqlite:///{tmp_path / 'kept' / 'new' / 'deeper' / 'registry.db'}"
    monkeypatch.setattr(_open, "ensure_schema", full)
    with pytest.raises(StoreError, match="database or disk is full"):
        _open.create_registry(url)
    assert [p.name for p in tmp_path.rglob("*")] == ["kept"]
    existing = tmp_path / "kept" / "registry.db"
    existing.touch()  # an empty file the user made is theirs: only what creating made is removed
    with pytest.raises(StoreError):
        _open.create_registry(f"sqlite:///{existing}")
    assert existing.is_file()
