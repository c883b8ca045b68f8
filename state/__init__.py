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
"""

from flowctl.state._actor import ci_run_url, holder, lock_info, new_apply_record
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
from flowctl.state._locks import DEFAULT_TTL
from flowctl.state._migrate import SCHEMA_HEAD, MigrationResult
from flowctl.state._store import SqlStore, open_store
from flowctl.state._transaction import SqlTransaction

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
