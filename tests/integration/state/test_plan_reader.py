"""The reads of ``flowctl plan`` (state/_snapshot_reads: the snapshot and the lock listing, plain SQL on
the DB-API driver) against the table models' SQLAlchemy Core reads, on SQLite and PostgreSQL: the
plan reader of ``_browser`` and the SQL store return the same records, values and types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from flowctl._address import EntityKind
from flowctl.spec import DomainSettingsSpec, ProjectSpec, ResourcesSpec, digest_of
from flowctl.state import LockInfo, RegistrySnapshot, SqlStore, open_store
from flowctl.state._browser import DbApiPlanReader, open_plan_reader
from flowctl.state._execution_records import NewExecution
from flowctl.state._executions import open_execution_store
from flowctl.state._interface import ActivationRecord, ApprovalRecord, LockRecord, ProjectRecord, StoredEntity
from flowctl.state._tables import (
    ActivationRow,
    DomainRow,
    EntityRow,
    ExecutionRow,
    LockRow,
    MetaRow,
    ProjectRow,
    PromotionApprovalRow,
    table,
)
from flowctl.state.testing import task_spec


def _core_snapshot(store: SqlStore) -> RegistrySnapshot:
    """The snapshot as the table models read it (the SQL store's implementation before _snapshot_reads)."""
    meta, projects, domains, entities = table(MetaRow), table(ProjectRow), table(DomainRow), table(EntityRow)
    activations, approvals, executions = table(ActivationRow), table(PromotionApprovalRow), table(ExecutionRow)
    with store.read() as conn:
        lineage, serial = conn.execute(sa.select(meta.c.lineage, meta.c.serial)).one()
        found_projects = {r.name: ProjectRecord(ProjectSpec.model_validate(r.spec), r.state, r.managed_by)
                          for r in conn.execute(sa.select(projects))}
        settings = {(r.project, r.name): DomainSettingsSpec.model_validate(r.settings)
                    for r in conn.execute(sa.select(domains).where(domains.c.settings.is_not(None)))}
        stored = {}
        for r in conn.execute(sa.select(entities)):
            entity = StoredEntity(EntityKind(r.kind), r.project, r.domain, r.name, r.version, r.digest, r.spec,
                                  r.created_at, r.created_by, r.managed_by, r.bundle_uri)
            stored[entity.key] = entity
        active = {(r.project, r.domain, r.name): ActivationRecord(r.project, r.domain, r.name, r.version,
                                                                   r.activated_at, r.managed_by, r.activated_by)
                  for r in conn.execute(sa.select(activations))}
        x = executions.c
        counts = {(r[0], r[1], r[2], r[3]): int(r[4]) for r in conn.execute(
            sa.select(x.project, x.domain, x.workflow_name, x.workflow_version, sa.func.count())
            .where(x.phase == "succeeded").group_by(x.project, x.domain, x.workflow_name, x.workflow_version))}
        approved: dict[Any, list[ApprovalRecord]] = {}
        for r in conn.execute(sa.select(approvals).order_by(approvals.c.approved_at, approvals.c.id)):
            approved.setdefault((r.project, r.domain, r.workflow, r.version), []).append(
                ApprovalRecord(r.project, r.domain, r.source_domain, r.workflow, r.version, r.approved_by,
                               r.approved_at))
    return RegistrySnapshot(lineage, serial, found_projects, settings, stored, active, counts,
                            {key: tuple(records) for key, records in approved.items()})


def _fill(url: str) -> None:
    """Projects with and without domain settings, every kind in two domains and versions, odd JSON values,
    an activation, approvals and succeeded and failed executions."""
    store = open_store(url)
    try:
        with store.transaction() as tx:
            for project in ("alpha", "beta"):
                tx.upsert_project(ProjectSpec(name=project, labels={"team": project}), managed_by="manifests")
            tx.upsert_domain_settings(DomainSettingsSpec(project="alpha", domain="production",
                                                         requests=ResourcesSpec(cpu="2")), managed_by="manifests")
        for version in ("v1", "v2"):
            with store.transaction() as tx:
                for domain in ("development", "production"):
                    for kind in (EntityKind.TASK, EntityKind.WORKFLOW, EntityKind.LAUNCH_PLAN):
                        spec = {**task_spec(f"{kind.value}-x", code=version), "odd": [1, 1.5, True, None, {"b": 0, "a": 1}]}
                        tx.register(kind, "alpha", domain, f"{kind.value}-x", version, spec, digest_of(spec),
                                    managed_by="manifests", created_by="alice",
                                    bundle_uri="file:///b" if kind is EntityKind.TASK else None)
        with store.transaction() as tx:
            tx.activate("alpha", "production", "launch_plan-x", "v2", managed_by="manifests", activated_by="bob")
        for approver in ("carol", "dave"):
            store.record_approval(ApprovalRecord("alpha", "production", "development", "workflow-x", "v2", approver,
                                                 datetime.now(UTC)))
    finally:
        store.close()
    executions = open_execution_store(url, create=False)
    try:
        for n, phase in enumerate(("succeeded", "succeeded", "failed")):
            made = executions.create_execution(NewExecution("alpha", "development", f"run-{n}", "launch_plan-x", "v2",
                                                            "workflow-x", "v2", {}))
            now = datetime.now(UTC)
            assert executions.claim_executions("w", now=now, lease_seconds=60, limit=1)
            executions.mark_running(made.id, "w", now)
            executions.finish_execution(made.id, "w", phase=phase, outputs={}, error=None, now=now)
    finally:
        executions.close()


@pytest.fixture
def filled(registry_url: str) -> str:
    _fill(registry_url)
    return registry_url


def test_the_plan_reader_and_the_store_read_the_snapshot_the_table_models_read(filled: str) -> None:
    store = open_store(filled, create=False)
    reader = open_plan_reader(filled)
    try:
        assert isinstance(reader, DbApiPlanReader), "a registry at the head schema is read without SQLAlchemy"
        expected = _core_snapshot(store)
        assert expected.succeeded_executions == {("alpha", "development", "workflow-x", "v2"): 2}
        assert len(expected.approvals[("alpha", "production", "workflow-x", "v2")]) == 2
        assert len(expected.entities) == 12 and expected.domain_settings and expected.active_launch_plans
        for snapshot in (reader.snapshot(), store.snapshot()):
            assert snapshot == expected
            for key, entity in expected.entities.items():  # types too: 1, 1.5 and True stay apart
                assert repr(snapshot.entities[key].spec) == repr(entity.spec)
                assert snapshot.entities[key].created_at.tzinfo is UTC
    finally:
        reader.close()
        store.close()


def test_held_locks_are_listed_alike_and_stale_postgres_rows_are_not(registry_url: str) -> None:
    store = open_store(registry_url)
    try:
        assert list(store.list_locks()) == []
        with store.lock(LockInfo(operation="apply", holder="alice@ci", info="planning"), timeout=5) as held:
            reader = open_plan_reader(registry_url)
            try:
                listed = list(reader.list_locks())
            finally:
                reader.close()
            assert listed == list(store.list_locks())
            (lock,) = listed
            assert isinstance(lock, LockRecord) and lock.id == held.id and lock.holder == "alice@ci"
            assert lock.created_at.tzinfo is UTC and lock.heartbeat_at.tzinfo is UTC and lock.ttl_seconds == held.ttl_seconds
        assert list(store.list_locks()) == []
        if store.backend == "postgresql":  # a row whose session no longer holds the advisory lock is stale
            with store.engine.begin() as conn:
                now = datetime.now(UTC)
                conn.execute(table(LockRow).insert().values(
                    id="stale1", name="registry", operation="apply", holder="gone@host", info="", created_at=now,
                    heartbeat_at=now, ttl_seconds=30, backend_pid=2_000_000_000))
            reader = open_plan_reader(registry_url)
            try:
                assert list(reader.list_locks()) == [] == list(store.list_locks())
            finally:
                reader.close()
    finally:
        store.close()
