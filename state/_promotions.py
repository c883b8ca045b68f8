"""The inputs of promotion gates, read into the registry snapshot: success counts and approvals.

Gates are judged by ``plans`` from the snapshot alone (a plan stays pure); these queries fill it
in the same read transaction as the rest of the snapshot.
"""

from __future__ import annotations

import sqlalchemy as sa

from flowctl.state._interface import ApprovalRecord, PromotionKey
from flowctl.state._tables import ExecutionRow, PromotionApprovalRow, table

_executions = table(ExecutionRow)
_approvals = table(PromotionApprovalRow)
SUCCEEDED = "succeeded"


def succeeded_counts(conn: sa.Connection) -> dict[PromotionKey, int]:
    """Succeeded executions per (project, domain, workflow, version)."""
    x = _executions.c
    query = (sa.select(x.project, x.domain, x.workflow_name, x.workflow_version, sa.func.count())
             .where(x.phase == SUCCEEDED).group_by(x.project, x.domain, x.workflow_name, x.workflow_version))
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in conn.execute(query)}


def read_approvals(conn: sa.Connection) -> dict[PromotionKey, tuple[ApprovalRecord, ...]]:
    """Approvals per (project, target domain, workflow, version), oldest first."""
    found: dict[PromotionKey, list[ApprovalRecord]] = {}
    a = _approvals.c
    for row in conn.execute(sa.select(_approvals).order_by(a.approved_at, a.id)):
        record = ApprovalRecord(row.project, row.domain, row.source_domain, row.workflow, row.version,
                                row.approved_by, row.approved_at)
        found.setdefault((row.project, row.domain, row.workflow, row.version), []).append(record)
    return {key: tuple(records) for key, records in found.items()}


def insert_approval(conn: sa.Connection, record: ApprovalRecord) -> bool:
    """Insert ``record`` unless this approver approved the same version for the same domain."""
    a = _approvals.c
    exists = conn.execute(sa.select(a.id).where(
        a.project == record.project, a.domain == record.domain, a.workflow == record.workflow,
        a.version == record.version, a.approved_by == record.approved_by)).first()
    if exists is not None:
        return False
    conn.execute(_approvals.insert().values(
        project=record.project, domain=record.domain, source_domain=record.source_domain, workflow=record.workflow,
        version=record.version, approved_by=record.approved_by, approved_at=record.approved_at))
    return True
