"""Administration operations of the server: the audit log (tokens and bindings are CLI commands on the registry)."""

from __future__ import annotations

from flowctl.server._models import AuditEntryOut
from flowctl.server._operations import Call, operation
from flowctl.server._services import Services


@operation("audit.list")
def list_audit(s: Services, call: Call, *, limit: int = 100, identity: str | None = None) -> list[AuditEntryOut]:
    """The audit log, newest first: every write the server allowed (who, what, where, when, from where)."""
    return [AuditEntryOut(**{k: v for k, v in r.__dict__.items() if k != "id"}) for r in s.auth.audit(limit=limit, identity=identity)]
