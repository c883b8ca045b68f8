"""Attempts record when their cleanup ran (logs kept, Job or process removed): ``attempts.cleaned_at``.

A controller killed between writing an attempt's end and cleaning it up leaves ``cleaned_at`` empty;
the next controller's recovery sweep finds such attempts by ``ix_attempts_uncleaned`` (partial: the
attempts whose cleanup is not recorded only; by provider and end, the sweep's cursor) and cleans them up. The attempts of an older registry that ended count as cleaned (``cleaned_at = finished_at``):
their controllers cleaned them up, or nothing is left to clean any more.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flowctl.state._types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("cleaned_at", UTCDateTime(), nullable=True))
    attempts = sa.table("attempts", sa.column("finished_at", UTCDateTime()), sa.column("cleaned_at", UTCDateTime()))
    op.execute(attempts.update().where(attempts.c.finished_at.is_not(None)).values(cleaned_at=attempts.c.finished_at))
    uncleaned = sa.text("cleaned_at IS NULL")
    op.create_index("ix_attempts_uncleaned", "attempts", ["provider", "finished_at", "id"], sqlite_where=uncleaned,
                    postgresql_where=uncleaned)
    _set_schema_version(revision)


def downgrade() -> None:
    op.drop_index("ix_attempts_uncleaned", table_name="attempts")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("cleaned_at")
    _set_schema_version(str(down_revision))


def _set_schema_version(version: str) -> None:
    """The meta row records the schema version (``flowctl registry info``)."""
    meta = sa.table("registry_meta", sa.column("schema_version", sa.String()))
    op.execute(meta.update().values(schema_version=version))
