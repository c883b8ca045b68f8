"""Schema migrations (Alembic, shipped in ``state/migrations``), run programmatically.

``ensure_schema`` runs on every open (``_open``): at the head revision it costs one query and does
not import Alembic; only the commands allowed to create or upgrade a registry migrate. Migrations run in one transaction under a lock (``BEGIN IMMEDIATE`` on SQLite,
a transaction-level advisory lock on PostgreSQL), so two processes opening a new registry at once
create it once. A registry at a revision this flowctl does not know was written by a newer
flowctl and is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flowctl._errors import NoRegistryError, SchemaVersionError, StoreError
from flowctl._redact import mask_url
from flowctl.state._engine import IMMEDIATE, translate_errors
from flowctl.state._schema import CREATE_HINT, SCHEMA_HEAD

__all__ = ["CREATE_HINT", "SCHEMA_HEAD", "MigrationResult", "ensure_schema", "known_revisions", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATE_LOCK = 0x0F10C71  # first key of the advisory lock pair on PostgreSQL


@dataclass(frozen=True)
class MigrationResult:
    before: str | None  # None: the registry was empty
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def current_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def known_revisions() -> list[str]:
    """Every revision this flowctl ships, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def ensure_schema(engine: Engine, url: str, *, migrate: bool, where: str | None = None) -> MigrationResult:
    """Bring the registry to ``SCHEMA_HEAD`` (or check it is there when ``migrate`` is False).

    ``where`` names the registry in messages (a SQLite path; default: the masked URL)."""
    where = where or mask_url(url)
    with translate_errors(url, "open"), engine.connect() as conn:
        revision = current_revision(conn)
        tables = sorted(sa.inspect(conn).get_table_names()) if revision is None else []
        conn.rollback()
    if revision == SCHEMA_HEAD:
        return MigrationResult(revision, revision)
    _refuse_unknown(revision, url)
    if revision is None and tables and engine.dialect.name == "sqlite":
        raise StoreError(
            f"{where} is not a flowctl registry",
            detail=f"It holds tables ({', '.join(tables[:8])}{', ...' if len(tables) > 8 else ''}) but no flowctl "
            "schema version, so flowctl neither reads nor changes it. Point --registry (FLOWCTL_REGISTRY) at a "
            "flowctl registry, or at a new file to create one.",
        )
    if migrate:
        return upgrade(engine, url)
    if revision is None:
        raise NoRegistryError(f"No registry at {where} ({CREATE_HINT})",
                              detail="The database has no flowctl tables; read-only commands never create them.")
    raise SchemaVersionError(
        f"Registry schema is version {revision}, this flowctl needs {SCHEMA_HEAD}: run `flowctl registry migrate`",
        detail=f"The registry at {where} was written by an older flowctl; `flowctl registry migrate` upgrades it "
        "in one transaction (back it up first if you may need to go back to the older flowctl).",
    )


def upgrade(engine: Engine, url: str) -> MigrationResult:
    """Run every pending migration in one transaction, holding the migration lock."""
    from alembic import command
    from alembic.config import Config

    with translate_errors(url, "migrate"), engine.connect() as conn:
        conn = conn.execution_options(**{IMMEDIATE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                    {"k": _MIGRATE_LOCK},
                )
            before = current_revision(conn)  # again: another process may have migrated meanwhile
            _refuse_unknown(before, url)
            if before != SCHEMA_HEAD:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
    return MigrationResult(before, SCHEMA_HEAD)


def _refuse_unknown(revision: str | None, url: str) -> None:
    if revision is None or revision == SCHEMA_HEAD or revision in known_revisions():
        return
    raise StoreError(
        f"The registry at {mask_url(url)} was written by a newer flowctl",
        detail=f"Its schema version is {revision}; this flowctl knows schema versions up to {SCHEMA_HEAD}. "
        "Upgrade flowctl (pip install -U flowctl) to use this registry.",
    )
