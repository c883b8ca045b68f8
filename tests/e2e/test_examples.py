"""Every example under examples/ runs with `flowctl run` (each workflow or launch plan named below)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

RUNS = {
    "flyte_concepts.py": [
        ["standard_scale_workflow", "--values", "[1.0,2.0,3.0,4.0,5.0]"],
        ["nightly_lp"],
    ],
    "ml_pipeline.py": [
        ["training_wf", "--epochs", "3"],
        ["hourly_lp"],
    ],
}


def test_every_sdk_example_is_covered() -> None:
    """A new example with @workflow must be added to RUNS (other layers' examples are skipped)."""
    examples = {p.name for p in EXAMPLES.glob("*.py") if "@workflow" in p.read_text() and "Project(" not in p.read_text()}
    assert examples <= set(RUNS), f"add these examples to RUNS: {sorted(examples - set(RUNS))}"


@pytest.mark.parametrize(("example", "args"), [(name, args) for name, runs in RUNS.items() for args in runs])
def test_example_runs(example: str, args: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLOWCTL_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "-m", "flowctl", "run", str(EXAMPLES / example), *args, "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded" and document["outputs"]


def test_examples_compile() -> None:
    from flowctl._runtime import import_file
    from flowctl.sdk import compile_entity

    for name, runs in RUNS.items():
        module = import_file(EXAMPLES / name)
        for args in runs:
            compiled = compile_entity(getattr(module, args[0]))
            assert compiled.workflows
