"""Initial registry schema: registry tables, execution tables, and the meta row (lineage set once).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from flowctl.state._types import UTCDateTime, json_type, utcnow

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apply_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("ci_run_url", sa.String(), nullable=True),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("plan", json_type(), nullable=False),
        sa.Column("desired_state", json_type(), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_apply_history_serial", "apply_history", ["serial"])
    op.create_table(
        "cache_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=False),
        sa.Column("outputs", json_type(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("source_execution_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "domain", "cache_key", name="uq_cache_key"),
    )
    op.create_table(
        "domains",
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("settings", json_type(), nullable=True),
        sa.Column("managed_by", sa.String(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("project", "name"),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("digest", sa.String(), nullable=False),
        sa.Column("spec", json_type(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("managed_by", sa.String(), nullable=False),
        sa.Column("bundle_uri", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "project", "domain", "name", "version", name="uq_entities_key"),
    )
    op.create_index("ix_entities_scope", "entities", ["project", "domain", "kind", "name"])
    op.create_table(
        "executions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("launch_plan_name", sa.String(), nullable=False),
        sa.Column("launch_plan_version", sa.String(), nullable=False),
        sa.Column("workflow_name", sa.String(), nullable=False),
        sa.Column("workflow_version", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("inputs", json_type(), nullable=False),
        sa.Column("outputs", json_type(), nullable=True),
        sa.Column("error", json_type(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("parent_execution_id", sa.String(), nullable=True),
        sa.Column("parent_node_id", sa.String(), nullable=True),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claim_expires_at", UTCDateTime(), nullable=True),
        sa.Column("abort_requested", sa.Boolean(), nullable=False),
        sa.Column("max_parallelism", sa.Integer(), nullable=True),
        sa.Column("labels", json_type(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "domain", "name", name="uq_executions_name"),
    )
    op.create_index("ix_executions_parent_execution_id", "executions", ["parent_execution_id"])
    op.create_index("ix_executions_phase", "executions", ["phase"])
    op.create_table(
        "launch_plan_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=False),
        sa.Column("managed_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "domain", "name", name="uq_activation_one_active"),
    )
    op.create_table(
        "locks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("operation", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("info", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("backend_pid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", name="uq_locks_name"),
    )
    op.create_table(
        "notifications_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(), nullable=False),
        sa.Column("target", json_type(), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_outbox_execution_id", "notifications_outbox", ["execution_id"])
    op.create_index("ix_notifications_pending", "notifications_outbox", ["delivered_at", "next_attempt_at"])
    op.create_table(
        "projects",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("labels", json_type(), nullable=False),
        sa.Column("spec", json_type(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("managed_by", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "registry_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lineage", sa.String(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "schedule_fires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project", sa.String(), nullable=False),
        sa.Column("domain", sa.String(), nullable=False),
        sa.Column("launch_plan_name", sa.String(), nullable=False),
        sa.Column("fire_time", UTCDateTime(), nullable=False),
        sa.Column("execution_name", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project", "domain", "launch_plan_name", "fire_time", name="uq_schedule_fire"),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("handle", sa.String(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("error_kind", sa.String(), nullable=True),
        sa.Column("message", sa.String(), nullable=True),
        sa.Column("outputs_uri", sa.String(), nullable=True),
        sa.Column("log_uri", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id", "node_id", "attempt", name="uq_attempts_attempt"),
    )
    op.create_table(
        "node_executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.String(), nullable=False),
        sa.Column("node_id", sa.String(), nullable=False),
        sa.Column("phase", sa.String(), nullable=False),
        sa.Column("inputs", json_type(), nullable=True),
        sa.Column("outputs", json_type(), nullable=True),
        sa.Column("error", json_type(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("retry_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("execution_id", "node_id", name="uq_node_executions_node"),
    )
    # The lineage is a UUID set once, when the registry is created; the serial starts at 0.
    meta = sa.table(
        "registry_meta",
        sa.column("id", sa.Integer()),
        sa.column("lineage", sa.String()),
        sa.column("serial", sa.Integer()),
        sa.column("schema_version", sa.String()),
        sa.column("created_at", UTCDateTime()),
    )
    op.bulk_insert(
        meta,
        [
            {
                "id": 1,
                "lineage": str(uuid.uuid4()),
                "serial": 0,
                "schema_version": revision,
                "created_at": utcnow(),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("node_executions")
    op.drop_table("attempts")
    op.drop_table("schedule_fires")
    op.drop_table("registry_meta")
    op.drop_table("projects")
    op.drop_index("ix_notifications_pending", table_name="notifications_outbox")
    op.drop_index("ix_notifications_outbox_execution_id", table_name="notifications_outbox")
    op.drop_table("notifications_outbox")
    op.drop_table("locks")
    op.drop_table("launch_plan_activations")
    op.drop_index("ix_executions_phase", table_name="executions")
    op.drop_index("ix_executions_parent_execution_id", table_name="executions")
    op.drop_table("executions")
    op.drop_index("ix_entities_scope", table_name="entities")
    op.drop_table("entities")
    op.drop_table("domains")
    op.drop_table("cache_entries")
    op.drop_index("ix_apply_history_serial", table_name="apply_history")
    op.drop_table("apply_history")
