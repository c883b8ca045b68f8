"""Alembic environment of the registry, run programmatically by ``flowctl.state._migrate``.

The caller passes an open connection (inside its transaction, holding the migration lock) in
``config.attributes["connection"]``; there is no alembic.ini on the user's side.
"""

from __future__ import annotations

from alembic import context

from flowctl.state._tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the programmatic entry point is supported
    raise RuntimeError("flowctl's migrations run through `flowctl registry migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
