"""A burst of provider events (a Job watch delivers several per attempt: pod added, running, done,
the Job's status...) wakes the controller for one more pass, not one pass per event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from flowctl.engine import Controller
from flowctl.engine._controller import StepReport


class _Provider:
    def __init__(self) -> None:
        self.callbacks: list[Callable[[], None]] = []

    def subscribe(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def close(self) -> None:
        pass


def test_a_burst_of_events_during_a_pass_costs_one_more_pass() -> None:
    provider = _Provider()
    store = SimpleNamespace(listen=lambda wake: SimpleNamespace(close=lambda: None), release_claims=lambda owner: None)
    controller = Controller(SimpleNamespace(store=store, provider=provider, owner="c1"),  # type: ignore[arg-type]
                            schedules=False, notifications=False)
    in_first_step, release = threading.Event(), threading.Event()
    steps: list[int] = []
    waits: list[threading.Event] = [threading.Event(), threading.Event()]

    def step() -> StepReport:
        steps.append(len(steps))
        if len(steps) == 1:
            in_first_step.set()
            assert release.wait(10)
        return StepReport()  # no progress: the loop sleeps until woken

    wait = controller.wakeup.wait

    def counted_wait(timeout: float | None) -> bool:
        calls = sum(1 for w in waits if w.is_set())
        if calls < len(waits):
            waits[calls].set()
        return wait(timeout)

    controller.step = step  # type: ignore[method-assign]
    controller.wakeup.wait = counted_wait  # type: ignore[method-assign]
    runner = threading.Thread(target=controller.run, kwargs={"poll_interval": 60.0}, daemon=True)
    runner.start()
    assert in_first_step.wait(10)
    for _ in range(50):  # the watch thread, while the first pass runs
        for callback in provider.callbacks:
            callback()
    release.set()
    assert waits[1].wait(10)  # the loop slept again after the pass the burst asked for
    assert len(steps) == 2
    controller.stop()
    runner.join(10)
    assert not runner.is_alive()


def test_the_provider_is_subscribed_once(monkeypatch: Any) -> None:
    provider = _Provider()
    store = SimpleNamespace(listen=lambda wake: SimpleNamespace(close=lambda: None), release_claims=lambda owner: None)
    controller = Controller(SimpleNamespace(store=store, provider=provider, owner="c1"),  # type: ignore[arg-type]
                            schedules=False, notifications=False)
    monkeypatch.setattr(controller, "step", lambda: StepReport())
    controller.stop()
    controller.run(poll_interval=60.0)
    assert len(provider.callbacks) == 1
