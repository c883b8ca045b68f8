"""The registry: SQLModel tables, the store API, locks, serial/lineage, migrations.

Open a registry with :func:`open_store` and use it through the capability protocols
(:class:`RegistryReader`, :class:`RegistryWriter`, :class:`Locker`, :class:`Store`)::

    store = open_store("sqlite:///.flowctl/registry.db")
    with store.lock(lock_info("apply"), timeout=30):
        with store.transaction(expected_serial=plan.base_serial) as tx:
            tx.register(EntityKind.TASK, "proj", "development", "etl.load", "v1", spec, digest,
                        managed_by="manifests", created_by="alice")
    snapshot = store.snapshot()

Nothing above ``state/`` sees a table row or SQL. Table models are exported from
``flowctl.state._tables`` for code inside ``state/`` (the execution store) only.

The names resolve on first use (PEP 562): a command that only reads (``flowctl get``, through
``_browse``) never imports SQLAlchemy or the table models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl import _lazy

if TYPE_CHECKING:
    from flowctl.state._actor import (
        ci_run_url,
        holder,
        lock_info,
        new_apply_record,
    )
    from flowctl.state._interface import (
        ActivationRecord,
        ApplyRecord,
        ApprovalRecord,
        Approver,
        EntityKey,
        ExecutionSummary,
        LaunchPlanKey,
        Locker,
        LockInfo,
        LockRecord,
        ProjectRecord,
        RegisterItem,
        RegisterResult,
        RegistryInfo,
        RegistryReader,
        RegistrySnapshot,
        RegistryTransaction,
        RegistryWriter,
        Store,
        StoredEntity,
        iter_keys,
    )
    from flowctl.state._locks import (
        DEFAULT_TTL,
    )
    from flowctl.state._migrate import (
        SCHEMA_HEAD,
        MigrationResult,
    )
    from flowctl.state._store import (
        SqlStore,
        open_store,
    )
    from flowctl.state._transaction import (
        SqlTransaction,
    )

_LAZY_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("ci_run_url", "holder", "lock_info", "new_apply_record"), "flowctl.state._actor"),
    **dict.fromkeys(
        (
            "ActivationRecord", "ApplyRecord", "ApprovalRecord", "Approver", "EntityKey", "ExecutionSummary",
            "LaunchPlanKey", "Locker", "LockInfo", "LockRecord", "ProjectRecord", "RegisterItem", "RegisterResult",
            "RegistryInfo", "RegistryReader", "RegistrySnapshot", "RegistryTransaction", "RegistryWriter", "Store",
            "StoredEntity", "iter_keys",
        ),
        "flowctl.state._interface",
    ),
    "DEFAULT_TTL": "flowctl.state._locks",
    "SCHEMA_HEAD": "flowctl.state._migrate",
    "MigrationResult": "flowctl.state._migrate",
    "SqlStore": "flowctl.state._store",
    "open_store": "flowctl.state._store",
    "SqlTransaction": "flowctl.state._transaction",
}


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


def __dir__() -> list[str]:
    return sorted({name for name in globals() if name.startswith("_")} | set(_LAZY_EXPORTS))


__all__ = [
    "DEFAULT_TTL",
    "SCHEMA_HEAD",
    "ActivationRecord",
    "ApplyRecord",
    "ApprovalRecord",
    "Approver",
    "EntityKey",
    "ExecutionSummary",
    "LaunchPlanKey",
    "LockInfo",
    "LockRecord",
    "Locker",
    "MigrationResult",
    "ProjectRecord",
    "RegisterItem",
    "RegisterResult",
    "RegistryInfo",
    "RegistryReader",
    "RegistrySnapshot",
    "RegistryTransaction",
    "RegistryWriter",
    "SqlStore",
    "SqlTransaction",
    "Store",
    "StoredEntity",
    "ci_run_url",
    "holder",
    "iter_keys",
    "lock_info",
    "new_apply_record",
    "open_store",
]
