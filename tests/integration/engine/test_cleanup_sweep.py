"""Attempt cleanups are recorded (``attempts.cleaned_at``); the recovery sweep runs the ones a killed
controller (or a cleanup that raised) left undone, after a grace period, also for ended executions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from spec_flows import D, P, chain, register_specs

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, launch
from flowctl.engine._cleanup import SWEEP_BATCH, CleanupSweep
from flowctl.providers._interface import AttemptRef, ProviderFailure, SubmitRequest, SubmitResponse
from flowctl.providers.testing import FakeProvider
from flowctl.state._executions import ExecutionStore, open_execution_store
from flowctl.state._tables import AttemptRow, table

ATTEMPTS = table(AttemptRow)


@dataclass
class FlakyCleanup(FakeProvider):
    """Its first ``failures`` cleanups raise, as a cluster that is unreachable for a while."""

    failures: int = 0
    raised: list[AttemptRef] = field(default_factory=list)

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        if len(self.raised) < self.failures:
            self.raised.append(ref)
            raise ConnectionError("the cluster is unreachable")
        super().cleanup(ref, handle)


@pytest.fixture
def store(registry_url: str) -> Iterator[ExecutionStore]:
    register_specs(registry_url, chain(2))
    s = open_execution_store(registry_url)
    yield s
    s.close()


def _context(store: ExecutionStore, provider: FakeProvider, tmp_path: Path) -> EngineContext:
    return EngineContext(store, provider, BlobStore(str(tmp_path / "blobs")))


def _run(ctx: EngineContext) -> str:
    """Launch chain2 and drive it to its end; returns the execution's id."""
    execution = launch(ctx.store, P, D, "chain2", {"x": 1})
    controller = Controller(ctx, schedules=False, notifications=False)
    controller.sweep.due = datetime.max.replace(tzinfo=UTC)  # this one never sweeps: the tests sweep
    for _ in range(20):
        controller.step()
        found = ctx.store.get_execution(execution.id)
        if found is not None and found.terminal:
            break
    found = ctx.store.get_execution(execution.id)
    assert found is not None and found.phase == "succeeded", found
    return execution.id


def _cleaned(store: ExecutionStore, execution_id: str) -> dict[str, datetime | None]:
    a = ATTEMPTS.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(a.node_id, a.cleaned_at).where(a.execution_id == execution_id)).all()
    return {node: at for node, at in rows}


def _forget_cleanups(store: ExecutionStore, execution_id: str) -> None:
    """As a controller killed between writing the attempts' ends and cleaning them up leaves them."""
    with store.engine.begin() as conn:
        conn.execute(ATTEMPTS.update().where(ATTEMPTS.c.execution_id == execution_id).values(cleaned_at=None))


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_pass_records_the_cleanups_it_ran(store: ExecutionStore, tmp_path: Path) -> None:
    provider = FakeProvider()
    execution_id = _run(_context(store, provider, tmp_path))
    assert sorted(ref.node for ref in provider.cleaned) == ["n0", "n1"]
    cleaned = _cleaned(store, execution_id)
    assert set(cleaned) == {"n0", "n1"} and all(at is not None for at in cleaned.values()), cleaned


def test_a_cleanup_that_raised_is_not_recorded_and_the_sweep_retries_it(store: ExecutionStore, tmp_path: Path) -> None:
    provider = FlakyCleanup(failures=1)
    ctx = _context(store, provider, tmp_path)
    execution_id = _run(ctx)
    assert [ref.node for ref in provider.raised] == ["n0"]
    assert [node for node, at in _cleaned(store, execution_id).items() if at is None] == ["n0"]
    sweep = CleanupSweep(ctx)
    assert sweep.sweep(_later(sweep.grace.total_seconds() + 1)) == 1
    assert [ref.node for ref in provider.cleaned] == ["n1", "n0"]
    assert all(at is not None for at in _cleaned(store, execution_id).values())


def test_the_sweep_cleans_up_an_ended_execution_after_the_grace_period(store: ExecutionStore, tmp_path: Path) -> None:
    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    successor = FakeProvider()  # a new controller's provider
    sweep = CleanupSweep(_context(store, successor, tmp_path))
    assert sweep.sweep(datetime.now(UTC)) == 0  # within the grace period: the pass's own controller may be alive
    assert successor.cleaned == []
    assert sweep.sweep(_later(sweep.grace.total_seconds() + 1)) == 2
    name = store.get_execution(execution_id).name  # type: ignore[union-attr]
    assert sorted((ref.execution, ref.node, ref.attempt) for ref in successor.cleaned) == [(name, "n0", 0), (name, "n1", 0)]
    assert all(at is not None for at in _cleaned(store, execution_id).values())
    assert sweep.sweep(_later(sweep.grace.total_seconds() + 1)) == 0  # recorded: not cleaned up again
    assert len(successor.cleaned) == 2


def test_two_controllers_sweeping_the_same_attempts_is_harmless(store: ExecutionStore, tmp_path: Path) -> None:
    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    first, second = FakeProvider(), FakeProvider()
    sweeps = [CleanupSweep(_context(store, provider, tmp_path)) for provider in (first, second)]
    when = _later(sweeps[0].grace.total_seconds() + 1)
    found = [store.uncleaned_attempts("fake", ended_before=when, limit=10) for _ in sweeps]
    assert [len(f) for f in found] == [2, 2]  # both saw them before either recorded its cleanup
    keys = [(u.execution_id, u.node_id, u.attempt) for u in found[0]]
    store.mark_cleaned(keys, when)
    store.mark_cleaned(keys, when + timedelta(seconds=5))  # the slower one: the first record stays
    assert set(_cleaned(store, execution_id).values()) == {when}
    assert [s.sweep(when) for s in sweeps] == [0, 0]


def test_the_sweep_leaves_the_attempts_of_another_provider(store: ExecutionStore, tmp_path: Path) -> None:
    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    other = FakeProvider(name="kubernetes")
    sweep = CleanupSweep(_context(store, other, tmp_path))
    assert sweep.sweep(_later(sweep.grace.total_seconds() + 1)) == 0
    assert other.cleaned == [] and set(_cleaned(store, execution_id).values()) == {None}


def test_the_controller_sweeps_at_start_up_then_once_per_interval(store: ExecutionStore, tmp_path: Path) -> None:
    ctx = _context(store, FakeProvider(), tmp_path)
    execution_id = _run(ctx)
    _forget_cleanups(store, execution_id)
    successor = FakeProvider()
    sweep = CleanupSweep(_context(store, successor, tmp_path), interval=timedelta(seconds=30))
    start = _later(sweep.grace.total_seconds() + 1)
    assert sweep.tick(start) == 2  # at start-up
    _forget_cleanups(store, execution_id)
    assert sweep.tick(start + timedelta(seconds=10)) == 0  # not due yet: no query
    assert sweep.tick(start + timedelta(seconds=30)) == 2
    assert len(successor.cleaned) == 4


def test_many_cleanups_are_recorded_in_batches_of_bound_parameters(store: ExecutionStore, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import flowctl.state._executions as executions

    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    monkeypatch.setattr(executions, "MARK_BATCH", 1)  # one UPDATE per attempt: each of them is recorded
    store.mark_cleaned([(execution_id, "n0", 0), (execution_id, "n1", 0)], datetime.now(UTC))
    assert None not in _cleaned(store, execution_id).values()


@dataclass
class BrokenCleanup(FakeProvider):
    """The cleanup of every attempt of a node named ``broken-...`` raises, always."""

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        if ref.node.startswith("broken-"):
            raise ConnectionError("the Job cannot be removed")
        super().cleanup(ref, handle)


def test_attempts_whose_cleanup_keeps_raising_do_not_hide_the_newer_ones(store: ExecutionStore,
                                                                         tmp_path: Path) -> None:
    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    old = datetime.now(UTC) - timedelta(days=1)  # ended before n0 and n1: the sweep reaches them first
    broken = SWEEP_BATCH + 5
    with store.engine.begin() as conn:
        conn.execute(ATTEMPTS.insert(), [
            {"execution_id": execution_id, "node_id": f"broken-{i}", "attempt": 0, "phase": "failed",
             "provider": "fake", "handle": f"h{i}", "started_at": old, "finished_at": old}
            for i in range(broken)
        ])
    provider = BrokenCleanup()
    sweep = CleanupSweep(_context(store, provider, tmp_path))
    when = _later(sweep.grace.total_seconds() + 1)
    assert [sweep.sweep(when) for _ in range(3)] == [0, 2, 0]  # the third starts from the oldest again
    assert sorted(ref.node for ref in provider.cleaned) == ["n0", "n1"]
    cleaned = _cleaned(store, execution_id)
    assert cleaned["n0"] is not None and cleaned["n1"] is not None
    assert {node for node, at in cleaned.items() if at is None} == {f"broken-{i}" for i in range(broken)}


def test_a_full_batch_sweeps_on_at_the_next_tick_a_short_one_waits_an_interval(store: ExecutionStore,
                                                                              tmp_path: Path) -> None:
    execution_id = _run(_context(store, FakeProvider(), tmp_path))
    _forget_cleanups(store, execution_id)
    provider = FakeProvider()
    sweep = CleanupSweep(_context(store, provider, tmp_path), batch=1)
    start = _later(sweep.grace.total_seconds() + 1)
    assert sweep.tick(start) == 1 and sweep.due is None  # full: the next step sweeps on
    assert sweep.tick(start) == 1 and sweep.due is None
    assert sweep.tick(start) == 0 and sweep.due == start + sweep.interval  # short: from the oldest, later
    assert sweep.after is None
    assert sorted(ref.node for ref in provider.cleaned) == ["n0", "n1"]


class FailingSubmit(FakeProvider):
    """Every submit fails (as a cluster that refuses the Job), after the Job may have been made."""

    def submit(self, request: SubmitRequest) -> SubmitResponse:
        super().submit(request)
        return SubmitResponse("", ProviderFailure("user", "Rejected", "the cluster refused the Job", False))


def _step_until(controller: Controller, store: ExecutionStore, execution_id: str, done: Callable[[], bool]) -> None:
    for _ in range(20):
        controller.step()
        if done():
            return
    raise AssertionError(f"execution {execution_id} never got there: {store.get_execution(execution_id)}")


def test_an_aborted_attempt_is_cleaned_up_and_recorded_by_its_own_pass(store: ExecutionStore, tmp_path: Path) -> None:
    provider = FakeProvider(handler=lambda request: None)  # every attempt keeps running
    ctx = _context(store, provider, tmp_path)
    execution = launch(store, P, D, "chain2", {"x": 1})
    controller = Controller(ctx, schedules=False, notifications=False)
    controller.sweep.due = datetime.max.replace(tzinfo=UTC)  # never sweeps: the pass is to do it
    _step_until(controller, store, execution.id, lambda: bool(provider.submitted))
    store.request_abort(execution.id)
    _step_until(controller, store, execution.id, lambda: store.get_execution(execution.id).terminal)  # type: ignore[union-attr]
    assert store.get_execution(execution.id).phase == "aborted"  # type: ignore[union-attr]
    assert [ref.node for ref in provider.cancelled] == ["n0"]
    assert [ref.node for ref in provider.cleaned] == ["n0"]
    assert _cleaned(store, execution.id)["n0"] is not None


def test_an_attempt_whose_submit_failed_is_cleaned_up_and_recorded_by_its_own_pass(store: ExecutionStore,
                                                                                  tmp_path: Path) -> None:
    provider = FailingSubmit()
    ctx = _context(store, provider, tmp_path)
    execution = launch(store, P, D, "chain2", {"x": 1})
    controller = Controller(ctx, schedules=False, notifications=False)
    controller.sweep.due = datetime.max.replace(tzinfo=UTC)
    _step_until(controller, store, execution.id, lambda: store.get_execution(execution.id).terminal)  # type: ignore[union-attr]
    assert store.get_execution(execution.id).phase == "failed"  # type: ignore[union-attr]
    assert [ref.node for ref in provider.cleaned] == ["n0"]
    cleaned = _cleaned(store, execution.id)
    assert list(cleaned) == ["n0"] and cleaned["n0"] is not None
