"""Signals for gate nodes (``wait_for_input``, ``approve``): one value per execution and name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowctl.state._types import UTCDateTime, json_type

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", json_type(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id", "name", name="uq_signal_name"),
    )
    _set_schema_version(revision)


def downgrade() -> None:
    op.drop_table("signals")
    _set_schema_version(str(down_revision))


def _set_schema_version(version: str) -> None:
    """The meta row records the schema version (``flowctl registry info``)."""
    meta = sa.table("registry_meta", sa.column("schema_version", sa.String()))
    op.execute(meta.update().values(schema_version=version))
