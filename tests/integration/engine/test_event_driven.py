"""The controller reacts to events: a new execution and an attempt's end wake it, the poll is only a safety net.

Every test runs the controller with a 30-second poll interval: an execution that finishes in a few
seconds got there through wake-ups (a missed wake-up would cost a whole interval).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from spec_flows import D, P, chain, register_specs

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, launch
from flowctl.engine._wakeup import Wakeup
from flowctl.providers._interface import SubmitRequest, SubmitResponse
from flowctl.providers.testing import FakeProvider
from flowctl.state._executions import ExecutionStore, open_execution_store
from flowctl.state._wakeups import ring_folder, wakeup_folder

POLL = 30.0


class LaterProvider(FakeProvider):
    """Attempts end 0.2 s after their submit, on another thread, and say so through ``subscribe``."""

    def __init__(self) -> None:
        super().__init__(lambda r: None)
        self.callbacks: list[Callable[[], None]] = []

    def subscribe(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def submit(self, request: SubmitRequest) -> SubmitResponse:
        response = super().submit(request)

        def finish() -> None:
            time.sleep(0.2)
            self.finish(response.handle, {"o0": 1})
            for callback in self.callbacks:
                callback()

        threading.Thread(target=finish, daemon=True).start()
        return response


@pytest.fixture
def running(registry_url: str, tmp_path: Path) -> Iterator[tuple[EngineContext, LaterProvider]]:
    register_specs(registry_url, chain(1), chain(3))
    provider = LaterProvider()
    ctx = EngineContext(open_execution_store(registry_url), provider, BlobStore(str(tmp_path / "b")))
    controller = Controller(ctx, schedules=False, notifications=False)
    thread = threading.Thread(target=controller.run, kwargs={"poll_interval": POLL}, daemon=True)
    thread.start()
    time.sleep(0.5)  # the controller has had its first (empty) step and sleeps
    yield ctx, provider
    controller.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _finish_time(store: ExecutionStore, workflow: str) -> float:
    started = time.monotonic()
    execution = launch(store, P, D, workflow, {"x": 0})
    while time.monotonic() - started < POLL:
        current = store.get_execution(execution.id)
        assert current is not None
        if current.terminal:
            assert current.phase == "succeeded", current.error
            return time.monotonic() - started
        time.sleep(0.05)
    return POLL


def test_a_launch_from_another_store_and_each_attempt_end_wake_the_controller(
        running: tuple[EngineContext, LaterProvider], registry_url: str) -> None:
    _, provider = running
    other = open_execution_store(registry_url)  # as `flowctl launch` in another process would
    try:
        assert _finish_time(other, "chain1") < 10
        assert _finish_time(other, "chain3") < 10  # three attempt ends, each one a wake-up
    finally:
        other.close()
    assert len(provider.submitted) == 4


def test_wakeup_consumes_a_set_that_came_before_the_wait() -> None:
    wakeup = Wakeup()
    assert wakeup.wait(0.01) is False
    wakeup.set()
    assert wakeup.wait(5) is True
    assert wakeup.wait(0.01) is False  # consumed


def test_a_dead_listener_socket_is_removed_and_an_empty_folder_is_fine(tmp_path: Path) -> None:
    import socket

    folder = wakeup_folder(tmp_path / "r.db")
    ring_folder(folder)  # no folder yet: nothing to do
    folder.mkdir()
    dead = folder / "dead"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(dead))
    _ring_is_heard(tmp_path / "r.db")
    assert not dead.exists()


def test_a_registry_path_too_long_for_a_socket_address_still_wakes_the_controller(tmp_path: Path) -> None:
    """pytest-xdist's and CI's temporary folders easily pass sun_path's ~100 bytes; the wake-up must
    not silently turn into a 30-second poll there (it did: the listener was skipped)."""
    deep = tmp_path / ("long-folder-name-" * 8)
    deep.mkdir()
    folder = wakeup_folder(deep / "registry.db")
    assert len(str(folder)) > 110
    _ring_is_heard(deep / "registry.db")


def _ring_is_heard(database: Path) -> None:
    """A controller's listener on the SQLite registry ``database`` hears a ring and leaves no socket."""
    heard = threading.Event()
    store = open_execution_store(f"sqlite:///{database}")
    listener = store.listen(heard.set)
    assert listener is not None
    ring_folder(wakeup_folder(database))
    assert heard.wait(5)
    listener.close()
    assert list(wakeup_folder(database).iterdir()) == []
    store.close()
