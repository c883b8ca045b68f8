"""Promotion gates: approvals of promoted versions, and who activated a launch plan version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowctl.state._types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promotion_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("source_domain", sa.String(), nullable=False),
        sa.Column("workflow", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("approved_by", sa.String(), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "domain", "workflow", "version", "approved_by", name="uq_promotion_approval"),
    )
    with op.batch_alter_table("launch_plan_activations") as batch:
        batch.add_column(sa.Column("activated_by", sa.String(), nullable=False, server_default=""))
    _set_schema_version(revision)


def _set_schema_version(version: str) -> None:
    """The meta row names the schema revision (``flowctl registry info``)."""
    op.execute(sa.text("UPDATE registry_meta SET schema_version = :version").bindparams(version=version))


def downgrade() -> None:
    with op.batch_alter_table("launch_plan_activations") as batch:
        batch.drop_column("activated_by")
    op.drop_table("promotion_approvals")
    _set_schema_version(str(down_revision))
