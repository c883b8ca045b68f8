"""What flowctl says about a registry lock: its age, who holds it, that it was lost (light: no SQLAlchemy)."""

from __future__ import annotations

from datetime import UTC, datetime

from flowctl._errors import LockError
from flowctl.state._interface import LockRecord


def format_age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60}m"


def held_error(row: LockRecord) -> LockError:
    age = format_age((datetime.now(UTC) - row.created_at).total_seconds())
    beat = format_age((datetime.now(UTC) - row.heartbeat_at).total_seconds())
    info = f" ({row.info})" if row.info else ""
    return LockError(
        f"The registry is locked by {row.holder} for `{row.operation}`{info}, held for {age}",
        detail=f"Lock {row.id}, last heartbeat {beat} ago, expires {row.ttl_seconds}s after its last heartbeat.\n"
        "Wait for that operation to finish, or retry with a longer --lock-timeout. If its process is gone, "
        f"run `flowctl lock break {row.id}`.",
    )


def lost_error(record: LockRecord) -> LockError:
    return LockError(
        f"The registry lock {record.id} for `{record.operation}` was lost while the operation ran",
        detail="The database session holding it ended (the server restarted, the connection dropped, or "
        "`flowctl lock break` / pg_terminate_backend ended it), someone broke the lock, or its heartbeat stopped "
        "for longer than its TTL. The write in progress was rolled back and nothing more was written. "
        "Run `flowctl plan` to see what was applied, then `flowctl apply` again.",
    )
