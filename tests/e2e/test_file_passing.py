"""A FlowFile written by one attempt (a process with its own temp folder) is read by the next
through the blob store, end to end: `flowctl run --remote` and a real controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

FLOWS = textwrap.dedent('''
    import tempfile
    from pathlib import Path

    from flowctl import FlowFile, task, workflow


    @task
    def write(text: str) -> FlowFile:
        folder = Path(tempfile.mkdtemp())  # private to this attempt's process
        (folder / "note.txt").write_text(text)
        return FlowFile(folder / "note.txt")


    @task
    def read(note: FlowFile) -> str:
        with note.open("r") as handle:
            return handle.read().upper()


    @workflow
    def notes(text: str) -> str:
        return read(note=write(text=text))
''')


def flowctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FLOWCTL_REGISTRY": f"sqlite:///{cwd / 'registry.db'}", "FLOWCTL_BLOB_STORE": str(cwd / "blobs")}
    return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_file_output_reaches_the_next_attempt_through_the_blob_store(tmp_path: Path) -> None:
    (tmp_path / "file_flows.py").write_text(FLOWS)
    launched = flowctl("run", "--remote", "file_flows.py", "notes", "--text", "hello", cwd=tmp_path)
    assert launched.returncode == 0, launched.stderr
    execution = launched.stdout.strip().splitlines()[-1]
    controller = flowctl("controller", "--until-idle", cwd=tmp_path)
    assert controller.returncode == 0, controller.stderr
    outputs = flowctl("executions", "outputs", execution, cwd=tmp_path)
    assert outputs.returncode == 0, outputs.stderr
    assert json.loads(outputs.stdout) == {"o0": "HELLO"}
    stored = list((tmp_path / "blobs").rglob("files/o0/note.txt"))
    assert len(stored) == 1 and stored[0].read_text() == "hello"
