"""ExitWatcher: one thread learns of process exits (pidfds) and deadlines, and reports them at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from flowctl.providers.local._process import ProcessHandle, start_ticks
from flowctl.providers.local._watch import ExitWatcher


def _sleeper(seconds: float) -> tuple[subprocess.Popen[bytes], ProcessHandle]:
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
    return child, ProcessHandle(child.pid, max(start_ticks(child.pid), 0), 0.0)


def test_an_exit_is_reported_with_its_handle_within_a_second() -> None:
    exited: list[str] = []
    woken = threading.Event()
    watcher = ExitWatcher(exited.append, woken.set)
    child, handle = _sleeper(0.3)
    try:
        watcher.watch(handle)
        assert not woken.wait(0.1)
        child.wait()
        assert woken.wait(1.0)
        assert exited == [str(handle)]
    finally:
        watcher.close()


def test_a_process_that_is_gone_or_whose_pid_was_reused_is_reported_at_once() -> None:
    exited: list[str] = []
    woken = threading.Event()
    watcher = ExitWatcher(exited.append, woken.set)
    child, handle = _sleeper(0)
    child.wait()
    other, other_handle = _sleeper(30)
    reused = ProcessHandle(other.pid, other_handle.start_ticks + 1, 0.0)  # same pid, another process
    try:
        watcher.watch(handle)
        watcher.watch(reused)
        deadline = time.monotonic() + 2
        while len(exited) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(exited) == sorted([str(handle), str(reused)])
    finally:
        watcher.close()
        other.kill()
        other.wait()


def test_a_deadline_wakes_the_subscriber_while_the_process_still_runs() -> None:
    woken = threading.Event()
    exited: list[str] = []
    watcher = ExitWatcher(exited.append, woken.set)
    child, handle = _sleeper(30)
    try:
        watcher.watch(ProcessHandle(handle.pid, handle.start_ticks, time.time() + 0.3))
        assert woken.wait(2.0)
        assert exited == [] and child.poll() is None
    finally:
        watcher.close()
        child.kill()
        child.wait()


def test_the_watcher_can_be_closed_from_its_own_callback() -> None:
    done = threading.Event()
    holder: list[ExitWatcher] = []

    def notify() -> None:
        holder[0].close()
        done.set()

    watcher = ExitWatcher(lambda handle: None, notify)
    holder.append(watcher)
    child, handle = _sleeper(0)
    watcher.watch(handle)
    child.wait()
    assert done.wait(2.0)
    thread = watcher._thread
    assert thread is not None
    thread.join(2.0)
    assert not thread.is_alive()
    watcher.watch(handle)  # closed: ignored


def test_a_gone_process_watched_while_the_thread_waits_is_reported_at_once() -> None:
    """The watcher thread, waiting with nothing else to wait for, learns of a handle whose process has
    already ended: it reports it without waiting for another event (it used to sleep until one came)."""
    exited: list[str] = []
    woken = threading.Event()
    watcher = ExitWatcher(exited.append, woken.set)
    first_child, first = _sleeper(0)
    second_child, second = _sleeper(0)
    first_child.wait()
    second_child.wait()
    try:
        watcher.watch(first)
        assert woken.wait(2.0) and exited == [str(first)]
        time.sleep(0.1)  # the thread is back to waiting
        woken.clear()
        watcher.watch(second)
        assert woken.wait(2.0), "the second gone process was not reported"
        assert exited == [str(first), str(second)]
    finally:
        watcher.close()
