"""The registry side of promotion gates, on SQLite and PostgreSQL: who activated what since when,
approvals, and succeeded executions, all read into the snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

from flowctl._address import EntityKind
from flowctl.spec import digest_of
from flowctl.state import ApprovalRecord, open_store
from flowctl.state._execution_records import NewExecution
from flowctl.state._executions import open_execution_store
from flowctl.state.testing import task_spec

KEY = ("ml", "staging", "wf")


def _register(store, *versions: str) -> None:
    with store.transaction() as tx:
        for version in versions:
            spec = task_spec("wf", version)
            tx.register(EntityKind.LAUNCH_PLAN, "ml", "staging", "wf", version, spec, digest_of(spec),
                        managed_by="m", created_by="alice")


def test_activation_records_who_and_since_when(registry_url: str) -> None:
    store = open_store(registry_url)
    try:
        _register(store, "v1", "v2")
        with store.transaction() as tx:
            tx.activate(*KEY, "v1", managed_by="m", activated_by="alice")
        first = store.snapshot().active_launch_plans[KEY]
        assert (first.version, first.activated_by, first.managed_by) == ("v1", "alice", "m")
        with store.transaction() as tx:  # another manager, same version: still active since then, by alice
            tx.activate(*KEY, "v1", managed_by="flowctl promote", activated_by="bob")
        same = store.snapshot().active_launch_plans[KEY]
        assert (same.activated_at, same.activated_by, same.managed_by) == (first.activated_at, "alice",
                                                                           "flowctl promote")
        with store.transaction() as tx:
            tx.activate_many([(*KEY, "v2")], managed_by="manual", activated_by="bob")
        moved = store.snapshot().active_launch_plans[KEY]
        assert (moved.version, moved.activated_by) == ("v2", "bob") and moved.activated_at >= first.activated_at
    finally:
        store.close()


def test_approvals_and_successes_are_in_the_snapshot_without_moving_the_serial(registry_url: str) -> None:
    store = open_store(registry_url)
    executions = open_execution_store(registry_url)
    try:
        serial = store.snapshot().serial
        approval = ApprovalRecord("ml", "production", "staging", "wf", "v1", "alice", datetime.now(UTC))
        assert store.record_approval(approval) is True
        assert store.record_approval(approval) is False  # once per approver
        assert store.record_approval(ApprovalRecord("ml", "production", "staging", "wf", "v1", "bob",
                                                    datetime.now(UTC))) is True
        for n, version in enumerate(("v1", "v1", "v2")):
            record = executions.create_execution(NewExecution("ml", "staging", f"x{n}", "wf", version, "wf", version,
                                                              {}))
            if n < 2 or version == "v2":
                with executions.engine.begin() as conn:
                    conn.exec_driver_sql(f"UPDATE executions SET phase = 'succeeded' WHERE id = '{record.id}'")
        snapshot = store.snapshot()
        assert snapshot.serial == serial
        assert [a.approved_by for a in snapshot.approvals[("ml", "production", "wf", "v1")]] == ["alice", "bob"]
        assert snapshot.succeeded_executions == {("ml", "staging", "wf", "v1"): 2, ("ml", "staging", "wf", "v2"): 1}
    finally:
        executions.close()
        store.close()
