"""Recording a promotion approval (``flowctl promote --approve``).

The gates' inputs (success counts and approvals) are read into the registry snapshot by
``_snapshot_reads``: gates are judged by ``plans`` from the snapshot alone (a plan stays pure).
"""

from __future__ import annotations

import sqlalchemy as sa

from flowctl.state._interface import ApprovalRecord
from flowctl.state._tables import PromotionApprovalRow, table

_approvals = table(PromotionApprovalRow)


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
