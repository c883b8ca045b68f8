"""The signals migration (issue 17) brings a registry made at 0001 to the signals table, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from flowctl.state import open_store
from flowctl.state._engine import create_engine
from flowctl.state._migrate import MIGRATIONS, SCHEMA_HEAD


def test_an_older_registry_is_migrated_to_signals(registry_url: str) -> None:
    engine = create_engine(registry_url)
    with engine.begin() as conn:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("signals")
    engine.dispose()
    store = open_store(registry_url)  # migrates to the head
    try:
        assert store.info().schema_version == store.info().schema_head == SCHEMA_HEAD
    finally:
        store.close()
    engine = create_engine(registry_url)
    with engine.connect() as conn:
        assert {c["name"] for c in sa.inspect(conn).get_columns("signals")} >= {"execution_id", "name", "value"}
    engine.dispose()
