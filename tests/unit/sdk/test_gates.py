"""Gate nodes (issue 17): sleep, wait_for_input and approve, compiled and run locally."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from flowctl import approve, sleep, task, wait_for_input, workflow
from flowctl._errors import CompileError, InputError, ManifestError
from flowctl._local import LocalRunner, NodeFailure, run_local
from flowctl.sdk import compile_entity
from flowctl.spec import TypeSpec

ROOT = Path(__file__).resolve().parents[3]


@task
def propose(x: int) -> float:
    return x / 10


@task
def apply_threshold(value: float, threshold: float) -> bool:
    return value >= threshold


@task
def done() -> None:
    return None


@workflow
def gated(x: int) -> bool:
    proposal = propose(x=x)
    threshold = wait_for_input("threshold", timeout=timedelta(hours=1), expected_type=float)
    pause = sleep(timedelta(minutes=5))
    approved = approve(proposal, "ship-it", timeout=timedelta(days=1))
    decision = apply_threshold(value=approved, threshold=threshold)
    pause >> decision
    return decision


@workflow
def twice(x: int) -> float:
    a = wait_for_input("same", timeout=timedelta(hours=1), expected_type=float)
    b = wait_for_input("same", timeout=timedelta(hours=1), expected_type=float)
    return propose(x=x) if a is None else apply_threshold(value=a, threshold=b)  # type: ignore[return-value]


@workflow
def bad_timeout(x: int) -> float:
    return wait_for_input("t", timeout=timedelta(0), expected_type=float)


def test_gates_compile_to_gate_nodes() -> None:
    nodes = {n.target: n for n in compile_entity(gated).spec.nodes}
    signal, pause, approval = nodes["threshold"].gate, nodes["sleep"].gate, nodes["ship-it"].gate
    assert signal is not None and (signal.kind, signal.timeout_seconds, signal.type) == ("signal", 3600.0, TypeSpec(kind="float"))
    assert pause is not None and (pause.kind, pause.duration_seconds) == ("sleep", 300.0)
    assert approval is not None and approval.kind == "approve" and nodes["ship-it"].upstream == ("n0",)
    assert nodes["test_gates.apply_threshold"].upstream == tuple(sorted((nodes["ship-it"].id, nodes["threshold"].id, nodes["sleep"].id)))


def test_gate_mistakes_are_compile_errors() -> None:
    with pytest.raises(CompileError, match="Two gates wait for the signal `same`"):
        compile_entity(twice)
    with pytest.raises(CompileError, match="Invalid timeout"):
        compile_entity(bad_timeout)
    with pytest.raises(ManifestError, match="outside a workflow body"):
        sleep(timedelta(seconds=1))


def test_local_runs_take_signals_and_pass_the_approved_value() -> None:
    result = run_local(gated, {"x": 7}, signals={"threshold": "0.5", "ship-it": "yes"})
    assert result.outputs == {"o0": True}
    statuses = {n.target: n.status for n in result.nodes}
    assert statuses["sleep"] == statuses["ship-it"] == statuses["threshold"] == "succeeded"


def test_a_rejection_fails_and_a_missing_signal_says_how_to_give_it() -> None:
    with pytest.raises(NodeFailure, match="approval `ship-it` was rejected"):
        run_local(gated, {"x": 7}, signals={"threshold": "0.5", "ship-it": "no"})
    with pytest.raises(InputError, match="waits for the signal `threshold`") as info:
        run_local(gated, {"x": 7})
    assert "--signal threshold=VALUE" in str(info.value)
    with pytest.raises(InputError, match="must be yes or no"):
        run_local(gated, {"x": 7}, signals={"threshold": "0.5", "ship-it": "maybe"})


def test_a_terminal_is_asked_when_no_signal_is_given() -> None:
    asked: list[str] = []

    def prompt(question: str) -> str:
        asked.append(question)
        return "0.9" if "threshold" in question else "y"

    result = LocalRunner(prompt=prompt).run(gated, {"x": 7})
    assert result.outputs == {"o0": False}
    assert asked[0].startswith("Value for signal `threshold` (float)") and "(value: 0.7)" in asked[1]


def test_flowctl_run_takes_signal_options(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLOWCTL_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "flowctl", "run", str(Path(__file__)), "gated", "--x", "7", "--json",
               "--signal", "threshold=0.5", "--signal", "ship-it=yes"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"] == {"o0": True}
    missing = subprocess.run(command[:-4], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
    assert missing.returncode == 1 and "--signal threshold=VALUE" in missing.stderr and "Traceback" not in missing.stderr
