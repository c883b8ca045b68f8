"""What a pod of the double does: a runner (a function of :class:`PodRun`) gives a :class:`PodResult`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass


# ---------------------------------------------------------------------------- pods
@dataclass
class PodRun:
    """What a runner gets: the pod's first container, resolved. ``cancelled`` is set when the pod is
    deleted or its Job's deadline passes; a runner should stop then."""

    namespace: str
    pod: str
    job: str
    image: str
    command: list[str]
    env: dict[str, str]
    cancelled: threading.Event
    log: Callable[[str], None]  # append text to the pod's log as it runs


@dataclass(frozen=True)
class PodResult:
    exit_code: int
    reason: str = ""  # "" -> Completed / Error; e.g. "OOMKilled"
    message: str = ""


def run_locally(run: PodRun) -> PodResult:
    """Run the container's command here, with the pod's environment on top of this process's;
    ``python`` becomes this interpreter. Output goes to the pod log."""
    command = list(run.command)
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    env = {**os.environ, **run.env}
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        run.log(f"exec failed: {exc}\n")
        return PodResult(127, "ContainerCannotRun", str(exc))
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            run.log(line.decode("utf-8", "replace"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while process.poll() is None:
        if run.cancelled.wait(0.02):
            process.kill()
            process.wait()
            reader.join(1)
            return PodResult(137, "Error", "killed")
    reader.join(2)
    process.stdout.close()
    return PodResult(process.returncode)


def succeed(run: PodRun) -> PodResult:
    """A runner that succeeds at once without running anything."""
    run.log("ok\n")
    return PodResult(0)
