"""The registry contract: one suite every Store implementation must pass (Terraform's statemgr.TestFull).

``check_registry_contract(store)`` runs every check on one store; ``CONTRACT_CHECKS`` lets a test
suite run each check on its own fresh store (``tests/integration/state/test_contract.py`` does,
on SQLite and PostgreSQL). Checks use their own project names and relative serials, so they can
share a store. They raise AssertionError on failure.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import ApplyError, ImmutabilityError, InputError, LockError, StoreError
from flowctl.spec import DomainSettingsSpec, ProjectSpec, ResourcesSpec, digest_of
from flowctl.state._interface import ApplyRecord, LockInfo, RegisterItem, Store

Check = Callable[[Store], None]
CONTRACT_CHECKS: dict[str, Check] = {}


def _check(fn: Check) -> Check:
    CONTRACT_CHECKS[fn.__name__.removeprefix("check_")] = fn
    return fn


def check_registry_contract(store: Store) -> None:
    """Run every contract check against ``store``."""
    for check in CONTRACT_CHECKS.values():
        check(store)


def _project() -> str:
    return f"p{uuid.uuid4().hex[:10]}"


def task_spec(name: str, code: str = "a") -> dict[str, Any]:
    """A small task-like spec; different ``code`` gives a different digest."""
    return {"name": name, "task_type": "python", "code": {"code_digest": f"sha256:{code}", "module": "m"}, "retries": 0}


def _register(tx: Any, project: str, name: str, version: str = "v1", code: str = "a", kind: EntityKind = EntityKind.TASK) -> Any:
    spec = task_spec(name, code)
    return tx.register(kind, project, "development", name, version, spec, digest_of(spec), managed_by="test", created_by="tester")


@_check
def check_snapshot_has_lineage_and_serial(store: Store) -> None:
    snap = store.snapshot()
    assert uuid.UUID(snap.lineage), "lineage must be a UUID"
    assert isinstance(snap.serial, int) and snap.serial >= 0


@_check
def check_register_and_read_back(store: Store) -> None:
    project = _project()
    with store.transaction() as tx:
        result = _register(tx, project, "mean")
        spec = task_spec("lp")
        tx.register(
            EntityKind.LAUNCH_PLAN, project, "development", "lp", "v1", spec, digest_of(spec),
            managed_by="manifests", created_by="alice", bundle_uri="file:///bundles/x.tar.gz",
        )
    assert result.created
    got = store.get_entity(EntityKind.TASK, project, "development", "mean", "v1")
    assert got is not None and got.spec == task_spec("mean") and got.digest == digest_of(task_spec("mean"))
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == UTC.utcoffset(None)
    assert got.created_by == "tester" and got.managed_by == "test" and got.bundle_uri is None
    lp = store.get_entity(EntityKind.LAUNCH_PLAN, project, "development", "lp", "v1")
    assert lp is not None and lp.bundle_uri == "file:///bundles/x.tar.gz" and lp.managed_by == "manifests"
    assert store.get_entity(EntityKind.TASK, project, "development", "mean", "v2") is None
    assert store.get_entity(EntityKind.WORKFLOW, project, "development", "mean", "v1") is None
    snap = store.snapshot()
    assert snap.entities[(EntityKind.TASK, project, "development", "mean", "v1")] == got


@_check
def check_identical_registration_is_a_noop(store: Store) -> None:
    project = _project()
    with store.transaction() as tx:
        _register(tx, project, "mean")
    serial = store.snapshot().serial
    with store.transaction() as tx:
        again = _register(tx, project, "mean")
    assert not again.created, "identical content must be reported as already there"
    assert store.snapshot().serial == serial, "a no-op must not move the serial"


@_check
def check_different_content_is_refused_with_a_diff(store: Store) -> None:
    project = _project()
    with store.transaction() as tx:
        _register(tx, project, "mean", code="old")
    serial = store.snapshot().serial
    try:
        with store.transaction() as tx:
            _register(tx, project, "other")  # rolled back with the failing registration
            _register(tx, project, "mean", code="new")
    except ImmutabilityError as error:
        text = str(error)
        assert "code.code_digest of task mean changed: 'sha256:old' -> 'sha256:new'" in text, text
        assert "register a new version" in text, text
    else:
        raise AssertionError("different content under an existing version must raise ImmutabilityError")
    stored = store.get_entity(EntityKind.TASK, project, "development", "mean", "v1")
    assert stored is not None and stored.spec == task_spec("mean", "old")
    assert store.get_entity(EntityKind.TASK, project, "development", "other", "v1") is None
    assert store.snapshot().serial == serial


@_check
def check_serial_moves_once_per_writing_transaction(store: Store) -> None:
    project = _project()
    before = store.snapshot()
    with store.transaction() as tx:
        for i in range(3):
            _register(tx, project, f"t{i}")
    after = store.snapshot()
    assert after.serial == before.serial + 1 and after.lineage == before.lineage
    with store.transaction():
        pass
    assert store.snapshot().serial == after.serial, "an empty transaction must not move the serial"


@_check
def check_stale_serial_is_refused(store: Store) -> None:
    project = _project()
    serial = store.snapshot().serial
    with store.transaction(expected_serial=serial) as tx:
        _register(tx, project, "a")
    try:
        with store.transaction(expected_serial=serial) as tx:
            _register(tx, project, "b")
    except ApplyError as error:
        text = str(error)
        assert f"Plan is stale: the registry changed after this plan was made (serial {serial} -> {serial + 1})" in text
        assert "Run `flowctl plan` again." in text
    else:
        raise AssertionError("a stale expected_serial must raise ApplyError")
    assert store.get_entity(EntityKind.TASK, project, "development", "b", "v1") is None


@_check
def check_failed_transaction_writes_nothing(store: Store) -> None:
    project = _project()
    serial = store.snapshot().serial
    try:
        with store.transaction() as tx:
            _register(tx, project, "a")
            tx.upsert_project(ProjectSpec(name=project), managed_by="test")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    snap = store.snapshot()
    assert snap.serial == serial and project not in snap.projects
    assert store.get_entity(EntityKind.TASK, project, "development", "a", "v1") is None


@_check
def check_list_entities_filters(store: Store) -> None:
    project = _project()
    with store.transaction() as tx:
        _register(tx, project, "a", "v1")
        _register(tx, project, "a", "v2", code="b")
        _register(tx, project, "b", "v1")
        _register(tx, project, "wf", "v1", kind=EntityKind.WORKFLOW)
    assert len(store.list_entities(project=project)) == 4
    assert [e.version for e in store.list_entities(EntityKind.TASK, project, "development", "a")] == ["v1", "v2"]
    assert [e.name for e in store.list_entities(EntityKind.WORKFLOW, project)] == ["wf"]
    assert store.list_entities(project=project, domain="production") == []


@_check
def check_activation_keeps_one_active_version(store: Store) -> None:
    project = _project()
    key = (project, "development", "nightly")
    with store.transaction() as tx:
        for version in ("v1", "v2"):
            _register(tx, project, "nightly", version, code=version, kind=EntityKind.LAUNCH_PLAN)
        tx.activate(*key, "v1", managed_by="test")
    assert store.snapshot().active_launch_plans[key].version == "v1"
    serial = store.snapshot().serial
    with store.transaction() as tx:
        tx.activate(*key, "v1", managed_by="test")
    assert store.snapshot().serial == serial, "activating the active version is a no-op"
    with store.transaction() as tx:
        tx.activate(*key, "v2", managed_by="test")
    snap = store.snapshot()
    assert snap.active_launch_plans[key].version == "v2" and snap.serial == serial + 1
    assert sum(1 for k in snap.active_launch_plans if k == key) == 1
    try:
        with store.transaction() as tx:
            tx.activate(*key, "v9", managed_by="test")
    except StoreError as error:
        assert "not registered" in str(error)
    else:
        raise AssertionError("activating an unregistered version must fail")
    with store.transaction() as tx:
        tx.deactivate(*key)
        tx.deactivate(project, "development", "never-active")
    assert key not in store.snapshot().active_launch_plans


def _item(project: str, name: str, version: str = "v1", code: str = "a",
          kind: EntityKind = EntityKind.TASK) -> RegisterItem:
    spec = task_spec(name, code)
    return RegisterItem(kind, project, "development", name, version, spec, digest_of(spec))


@_check
def check_register_many_matches_register(store: Store) -> None:
    project = _project()
    with store.transaction() as tx:
        _register(tx, project, "old")
    serial = store.snapshot().serial
    items = [_item(project, f"t{i}") for i in range(1203)]  # more than one batch
    items += [_item(project, "old"), _item(project, "t0"), _item(project, "lp", kind=EntityKind.LAUNCH_PLAN)]
    with store.transaction() as tx:
        results = tx.register_many(items, managed_by="test", created_by="tester")
    assert [r.created for r in results] == [True] * 1203 + [False, False, True]
    assert [(r.entity.name, r.entity.digest) for r in results] == [(i.name, i.digest) for i in items]
    snap = store.snapshot()
    assert snap.serial == serial + 1, "one serial increment per writing transaction"
    stored = snap.entities[(EntityKind.TASK, project, "development", "t1202", "v1")]
    assert stored.spec == items[1202].spec and stored.created_by == "tester" and stored.managed_by == "test"
    with store.transaction() as tx:
        again = tx.register_many(items[:5], managed_by="test", created_by="tester")
        assert tx.register_many([], managed_by="test", created_by="tester") == []
    assert not any(r.created for r in again) and store.snapshot().serial == serial + 1, "identical: a no-op"
    try:
        with store.transaction() as tx:
            tx.register_many([_item(project, "fresh"), _item(project, "t7", code="new")], managed_by="test",
                             created_by="tester")
    except ImmutabilityError as error:
        assert "register a new version" in str(error) and "code" in str(error), str(error)
    else:
        raise AssertionError("register_many must refuse different content for a registered version")
    assert (EntityKind.TASK, project, "development", "fresh", "v1") not in store.snapshot().entities, "rolled back"
    try:
        with store.transaction() as tx:
            tx.register_many([_item(project, "dup", code="a"), _item(project, "dup", code="b")], managed_by="test",
                             created_by="tester")
    except ImmutabilityError:
        pass
    else:
        raise AssertionError("the same key twice with different content must be refused")
    try:
        with store.transaction() as tx:
            tx.register_many([_item(project, "Bad Name!")], managed_by="test", created_by="tester")
    except InputError:
        pass
    else:
        raise AssertionError("register_many must validate names")


@_check
def check_activate_many_matches_activate(store: Store) -> None:
    project = _project()
    names = [f"lp{i}" for i in range(600)]
    with store.transaction() as tx:
        tx.register_many([_item(project, n, v, code=v, kind=EntityKind.LAUNCH_PLAN) for n in names for v in ("v1", "v2")],
                         managed_by="test", created_by="tester")
        tx.activate(project, "development", "lp0", "v2", managed_by="test")
    serial = store.snapshot().serial
    with store.transaction() as tx:
        tx.activate_many([(project, "development", n, "v1") for n in names], managed_by="test")
    snap = store.snapshot()
    assert all(snap.active_launch_plans[(project, "development", n)].version == "v1" for n in names)
    assert snap.serial == serial + 1
    with store.transaction() as tx:
        tx.activate_many([(project, "development", n, "v1") for n in names], managed_by="test")
        tx.activate_many([], managed_by="test")
    assert store.snapshot().serial == serial + 1, "activating the active versions is a no-op"
    with store.transaction() as tx:
        tx.activate_many([(project, "development", "lp1", "v2"), (project, "development", "lp2", "v2"),
                          (project, "development", "lp2", "v1")], managed_by="other")
    snap = store.snapshot()
    assert [snap.active_launch_plans[(project, "development", n)].version for n in ("lp1", "lp2", "lp3")] == \
        ["v2", "v1", "v1"], "the last activation of a launch plan wins"
    assert snap.active_launch_plans[(project, "development", "lp2")].managed_by == "other"
    try:
        with store.transaction() as tx:
            tx.activate_many([(project, "development", "lp5", "v2"), (project, "development", "lp6", "v9")],
                             managed_by="test")
    except StoreError as error:
        assert "not registered" in str(error) and "lp6" in str(error)
    else:
        raise AssertionError("activating an unregistered version must fail")
    assert store.snapshot().active_launch_plans[(project, "development", "lp5")].version == "v1", "rolled back"


@_check
def check_projects_and_domain_settings(store: Store) -> None:
    project = _project()
    spec = ProjectSpec(name=project, description="ML", labels={"team": "ml"})
    settings = DomainSettingsSpec(project=project, domain="production", requests=ResourcesSpec(cpu="2"), service_account="sa")
    with store.transaction() as tx:
        tx.upsert_project(spec, managed_by="manifests")
        tx.upsert_domain_settings(settings, managed_by="manifests")
    snap = store.snapshot()
    assert snap.projects[project].spec == spec and snap.projects[project].state == "active"
    assert snap.projects[project].managed_by == "manifests"
    assert snap.domain_settings[(project, "production")] == settings
    assert (project, "staging") not in snap.domain_settings
    with store.transaction() as tx:
        tx.upsert_project(spec, managed_by="manifests")
        tx.upsert_domain_settings(settings, managed_by="manifests")
    assert store.snapshot().serial == snap.serial, "identical upserts are no-ops"
    with store.transaction() as tx:
        tx.archive_project(project)
    assert store.snapshot().projects[project].state == "archived"
    with store.transaction() as tx:
        tx.upsert_project(spec.model_copy(update={"description": "ML team"}), managed_by="manifests")
    record = store.snapshot().projects[project]
    assert record.state == "active" and record.spec.description == "ML team"


@_check
def check_apply_history(store: Store) -> None:
    record = ApplyRecord(
        serial=0, lineage="", applied_at=datetime.now(UTC), user="alice", host="ci-1",
        ci_run_url="https://ci/run/1", operation="apply", plan={"changes": [1]}, desired_state={"projects": []},
        summary="1 to register",
    )
    with store.transaction() as tx:
        tx.record_apply(record)
    snap = store.snapshot()
    last = store.last_apply()
    assert last is not None and last.serial == snap.serial and last.lineage == snap.lineage
    assert (last.user, last.host, last.ci_run_url, last.plan, last.summary) == ("alice", "ci-1", "https://ci/run/1", {"changes": [1]}, "1 to register")
    with store.transaction() as tx:
        tx.record_apply(record)
    history = store.apply_history(limit=2)
    assert [h.serial for h in history] == [snap.serial + 1, snap.serial], "newest first"


@_check
def check_names_are_validated(store: Store) -> None:
    bad = [
        ("Bad_Project", "development", "t", "v1", "DNS-1123"),
        ("p", "dev elopment", "t", "v1", "DNS-1123"),
        ("p" * 40, "d" * 30, "t", "v1", "at most 63"),
        ("p", "development", "bad name!", "v1", "letters, digits"),
        ("p", "development", "t", "v/1", "'+'"),
    ]
    for project, domain, name, version, rule in bad:
        spec = task_spec(name)
        try:
            with store.transaction() as tx:
                tx.register(EntityKind.TASK, project, domain, name, version, spec, digest_of(spec), managed_by="t", created_by="t")
        except InputError as error:
            assert rule in str(error), str(error)
        else:
            raise AssertionError(f"{project}/{domain}/{name}@{version} must be refused")
    try:
        with store.transaction() as tx:
            tx.upsert_project(ProjectSpec(name="UPPER"), managed_by="t")
    except InputError as error:
        assert "DNS-1123" in str(error)
    else:
        raise AssertionError("an invalid project name must be refused")


@_check
def check_lock_is_exclusive_and_visible(store: Store) -> None:
    info = LockInfo(operation="apply", holder="alice@host:1", info="plan.out")
    with store.lock(info, timeout=0) as held:
        assert [lock.id for lock in store.list_locks()] == [held.id]
        assert store.list_locks()[0].operation == "apply"
        try:
            with store.lock(LockInfo(operation="promote", holder="bob@host:2"), timeout=0.2):
                raise AssertionError("a second holder must not get the lock")
        except LockError as error:
            text = str(error)
            assert "alice@host:1" in text and "`apply`" in text and "held for" in text and held.id in text, text
    assert store.list_locks() == []
    with store.lock(info, timeout=0):
        pass


@_check
def check_lock_waits_for_release(store: Store) -> None:
    released = threading.Event()

    def hold() -> None:
        with store.lock(LockInfo(operation="apply", holder="first"), timeout=0):
            ready.set()
            time.sleep(0.4)
        released.set()

    ready = threading.Event()
    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    start = time.monotonic()
    with store.lock(LockInfo(operation="apply", holder="second"), timeout=10) as got:
        assert got.holder == "second" and released.is_set()
    assert time.monotonic() - start < 5
    thread.join()


@_check
def check_break_lock(store: Store) -> None:
    assert store.break_lock("no-such-lock") is False
    holding = threading.Event()
    done = threading.Event()

    def hold() -> None:
        try:
            with store.lock(LockInfo(operation="apply", holder="stuck"), timeout=0):
                holding.set()
                done.wait(10)
        except LockError:  # the holder may notice that its lock was broken
            pass

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(5)
    (lock,) = store.list_locks()
    assert store.break_lock(lock.id) is True
    with store.lock(LockInfo(operation="apply", holder="rescuer"), timeout=5) as mine:
        assert mine.holder == "rescuer"
    done.set()
    thread.join()


def move_schema(url: str, revision: str) -> None:
    """Bring the registry at ``url`` to schema ``revision`` (up or down) with the shipped migrations:
    tests of what meets an older registry."""
    from alembic import command
    from alembic.config import Config

    from flowctl.state._engine import create_engine
    from flowctl.state._migrate import MIGRATIONS, current_revision, known_revisions

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            before = current_revision(conn)
            revisions = known_revisions()
            if before is not None and revisions.index(revision) < revisions.index(before):
                command.downgrade(config, revision)
            else:
                command.upgrade(config, revision)
    finally:
        engine.dispose()
