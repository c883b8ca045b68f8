"""scripts/demo.sh: the plan is printed once, every step says in one line what it shows, and the demo
ends with the outputs of the execution it launched in production."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_prints_the_plan_once_explains_each_step_and_ends_with_outputs(tmp_path: Path) -> None:
    if not (REPO / ".venv" / "bin" / "flowctl").exists():
        pytest.skip("scripts/demo.sh runs the repository's .venv (scripts/setup.sh makes it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    env["FLOWCTL_DEMO_DIR"] = str(tmp_path / "demo")
    result = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], env=env, capture_output=True, text=True,
                            timeout=600)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output
    assert output.count("flowctl will perform the following actions") == 1, output
    lines = output.splitlines()
    headings = [i for i, line in enumerate(lines) if re.match(r"== \d+\. ", line)]
    assert len(headings) >= 10
    for index in headings:  # the heading, then one indented line saying why
        assert lines[index + 1].startswith("   ") and len(lines[index + 1].strip()) > 20, lines[index:index + 2]
    last_step = "\n".join(lines[headings[-1]:])
    assert "launched execution my-ml-project/production/" in last_step
    assert re.search(r"^Succeeded: flows\.training\.training_wf .*execution my-ml-project/production/", last_step, re.M)
    assert re.search(r"^o0: \d", last_step, re.M), last_step
