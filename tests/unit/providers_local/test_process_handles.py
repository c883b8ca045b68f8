"""Process handles read through psutil keep the unit of ``/proc/<pid>/stat`` (handles stay valid)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flowctl.providers.local._process import ProcessHandle, is_alive, start_ticks


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_start_ticks_match_proc_stat() -> None:
    stat = Path(f"/proc/{os.getpid()}/stat").read_text()
    assert start_ticks(os.getpid()) == int(stat.rsplit(")", 1)[1].split()[19])


def test_a_running_process_is_alive_a_finished_or_reused_one_is_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        handle = ProcessHandle(child.pid, start_ticks(child.pid), 0)
        assert handle.start_ticks > 0 and is_alive(handle)
        assert not is_alive(ProcessHandle(child.pid, handle.start_ticks + 1, 0))  # a reused pid
        child.kill()
        time.sleep(0.2)  # not reaped yet: a zombie is not alive
        assert not is_alive(handle)
    finally:
        child.kill()
        child.wait()
    assert start_ticks(child.pid) == -1 and not is_alive(handle)
