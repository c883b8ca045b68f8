"""`flowctl run` end to end, as a subprocess: outputs, --json shape, exit codes, --help, fixed inputs, cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "flyte_concepts.py"


def flowctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FLOWCTL_CACHE_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "flowctl", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "e2e_flows.py"
    path.write_text(
        textwrap.dedent(
            """
            from dataclasses import dataclass

            from flowctl import LaunchPlan, task, workflow

            CALLS = []


            @dataclass
            class Cfg:
                factor: int
                name: str = "cfg"


            @task(cache=True)
            def scale(xs: list[int], cfg: Cfg) -> list[int]:
                print("running scale")
                return [x * cfg.factor for x in xs]


            @task(retries=1)
            def explode(xs: list[int]) -> int:
                raise RuntimeError("kaboom " + str(len(xs)))


            @workflow
            def scale_wf(xs: list[int], cfg: Cfg, label: str = "run") -> list[int]:
                return scale(xs=xs, cfg=cfg)


            @workflow
            def boom_wf(xs: list[int]) -> int:
                return explode(xs=scale(xs=xs, cfg=Cfg(factor=1)))


            fixed_lp = LaunchPlan.get_or_create(scale_wf, name="fixed_lp", fixed_inputs={"cfg": Cfg(factor=10)})
            """
        )
    )
    return path


def test_seed_example_runs() -> None:
    result = flowctl("run", str(SEED), "standard_scale_workflow", "--values", "[1.0,2.0,3.0,4.0,5.0]", "--no-cache", cwd=ROOT)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.split(":", 1)[1])
    assert values == pytest.approx([-0.632455532, -0.316227766, 0.0, 0.316227766, 0.632455532])
    assert "Succeeded: flyte_concepts.standard_scale_workflow" in result.stderr


def test_json_output_shape(flows: Path) -> None:
    result = flowctl("run", str(flows), "scale_wf", "--xs", "[1,2]", "--cfg", '{"factor": 3}', "--json", cwd=flows.parent)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded" and document["kind"] == "workflow"
    assert document["name"] == "e2e_flows.scale_wf" and document["outputs"] == {"o0": [3, 6]}
    [node] = document["nodes"]
    assert set(node) == {"id", "kind", "target", "status", "attempts", "duration_ms"}
    assert node["status"] == "succeeded" and isinstance(document["duration_ms"], float)


def test_cache_on_disk_and_clear(flows: Path) -> None:
    args = ("run", str(flows), "scale_wf", "--xs", "[1,2]", "--cfg", '{"factor": 3}', "--json")
    first = flowctl(*args, cwd=flows.parent)
    second = flowctl(*args, cwd=flows.parent)
    assert "running scale" in first.stderr and "running scale" not in second.stderr  # prints go to stderr with --json
    assert json.loads(second.stdout)["nodes"][0]["status"] == "cached"
    assert (flows.parent / ".flowctl" / "cache" / "e2e_flows.scale").is_dir()
    cleared = flowctl("cache", "clear", cwd=flows.parent)
    assert cleared.returncode == 0 and "Removed 1 cache entry" in cleared.stdout
    assert "running scale" in flowctl(*args, cwd=flows.parent).stderr


def test_failure_exit_code_names_node_attempt_and_traceback(flows: Path) -> None:
    result = flowctl("run", str(flows), "boom_wf", "--xs", "[1,2]", cwd=flows.parent)
    assert result.returncode == 1
    assert "Node n1 (`e2e_flows.explode`) failed on attempt 2/2: RuntimeError: kaboom 2" in result.stderr
    assert 'raise RuntimeError("kaboom " + str(len(xs)))' in result.stderr
    assert "flowctl/_local" not in result.stderr
    as_json = flowctl("run", str(flows), "boom_wf", "--xs", "[1,2]", "--json", cwd=flows.parent)
    assert as_json.returncode == 1
    error = json.loads(as_json.stdout)["error"]
    assert (error["node"], error["attempt"], error["attempts"]) == ("n1", 2, 2)
    assert "kaboom" in error["traceback"]


def test_help_lists_inputs_with_types_and_defaults(flows: Path) -> None:
    result = flowctl("run", str(flows), "scale_wf", "--help", cwd=flows.parent)
    assert result.returncode == 0
    assert "Inputs of workflow e2e_flows.scale_wf:" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip().startswith("--") and "  " in line}
    assert "list[int]" in lines["--xs"] and "required" in lines["--xs"]
    assert "Cfg" in lines["--cfg"]
    assert 'default: "run"' in lines["--label"]


def test_input_errors_exit_1(flows: Path) -> None:
    bad_json = flowctl("run", str(flows), "scale_wf", "--xs", "[1,", "--cfg", "{}", cwd=flows.parent)
    assert bad_json.returncode == 1 and "--xs: '[1,' is not valid JSON for `list[int]`" in bad_json.stderr
    unknown = flowctl("run", str(flows), "scale_wf", "--xz", "[1]", cwd=flows.parent)
    assert unknown.returncode == 1 and "Did you mean --xs?" in unknown.stderr
    missing = flowctl("run", str(flows), "nope_wf", cwd=flows.parent)
    assert missing.returncode == 1 and "has no workflow, launch plan or task named `nope_wf`" in missing.stderr


def test_fixed_inputs_cannot_be_overridden(flows: Path) -> None:
    ok = flowctl("run", str(flows), "fixed_lp", "--xs", "[1]", "--json", cwd=flows.parent)
    assert ok.returncode == 0 and json.loads(ok.stdout)["outputs"] == {"o0": [10]}
    refused = flowctl("run", str(flows), "fixed_lp", "--xs", "[1]", "--cfg", '{"factor": 2}', cwd=flows.parent)
    assert refused.returncode == 1
    assert "Input `cfg` is fixed by launch plan `fixed_lp` and cannot be overridden" in refused.stderr


def test_task_type_warnings_are_shown_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "shell_flows.py").write_text(textwrap.dedent('''
        from flowctl import ShellTask, workflow

        greet = ShellTask(
            "greet",
            script="echo hello > {{ outputs.msg }}",
            inputs={"name": str},
            outputs={"msg": str},
        )


        @workflow
        def wf(name: str) -> str:
            return greet(name=name)
    '''))
    result = flowctl("run", "shell_flows.py", "wf", "--name", "bob", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Warning: Input `name` of shell task `greet` is not used by its script" in result.stderr
    assert "shell_flows.py:4" in result.stderr
