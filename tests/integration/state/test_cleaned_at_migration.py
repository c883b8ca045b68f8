"""Migration 0005 adds ``attempts.cleaned_at``: the ended attempts of an older registry count as cleaned
(their controllers cleaned them up, or nothing is left to clean), the active ones do not; both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from flowctl.state import open_store
from flowctl.state._engine import create_engine
from flowctl.state._migrate import MIGRATIONS, SCHEMA_HEAD
from flowctl.state._types import UTCDateTime, json_type

ENDED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_EXECUTION = ("id", "project", "domain", "name", "launch_plan_name", "launch_plan_version", "workflow_name",
              "workflow_version", "phase", "created_by", "abort_requested")
_ATTEMPT = ("execution_id", "node_id", "attempt", "phase", "provider", "handle")


def _upgrade(conn: sa.Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def test_ended_attempts_of_an_older_registry_count_as_cleaned(registry_url: str) -> None:
    engine = create_engine(registry_url)
    with engine.begin() as conn:
        _upgrade(conn, "0004")
        conn.execute(sa.table("executions", *(sa.column(c) for c in _EXECUTION), sa.column("created_at", UTCDateTime()),
                              sa.column("inputs", json_type()), sa.column("labels", json_type())).insert().values(
            id="x1", project="p", domain="development", name="e1", launch_plan_name="lp", launch_plan_version="v1",
            workflow_name="wf", workflow_version="v1", phase="running", created_by="me", abort_requested=False,
            created_at=ENDED, inputs={}, labels={}))
        attempts = sa.table("attempts", *(sa.column(c) for c in _ATTEMPT), sa.column("started_at", UTCDateTime()),
                            sa.column("finished_at", UTCDateTime()))
        conn.execute(attempts.insert(), [
            {"execution_id": "x1", "node_id": "n0", "attempt": 0, "phase": "failed", "provider": "kubernetes",
             "handle": "ns/job-0", "started_at": ENDED, "finished_at": ENDED},
            {"execution_id": "x1", "node_id": "n0", "attempt": 1, "phase": "running", "provider": "kubernetes",
             "handle": "ns/job-1", "started_at": ENDED, "finished_at": None},
        ])
    engine.dispose()
    store = open_store(registry_url)  # migrates to the head
    try:
        assert store.info().schema_version == SCHEMA_HEAD
    finally:
        store.close()
    engine = create_engine(registry_url)
    with engine.connect() as conn:
        query: Any = sa.select(sa.column("attempt"), sa.column("cleaned_at", UTCDateTime())).select_from(sa.table("attempts"))
        rows: list[Any] = list(conn.execute(query.order_by(sa.column("attempt"))).all())
        indexes = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("attempts")}
    engine.dispose()
    cleaned = {attempt: at for attempt, at in rows}
    assert cleaned[1] is None
    assert cleaned[0] == ENDED
    assert "ix_attempts_uncleaned" in indexes
    index: Any = indexes["ix_attempts_uncleaned"]
    assert index["column_names"] == ["provider", "finished_at", "id"]
    where = index.get("dialect_options", {}).get(f"{engine.dialect.name}_where")
    assert where is not None and "cleaned_at is null" in str(where).lower(), index  # partial: uncleaned ones only
