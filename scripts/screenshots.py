"""Render the terminal output of `flowctl plan`, `flowctl drift` and `flowctl executions show` as SVG.

    .venv/bin/python scripts/screenshots.py      # writes docs/img/plan.svg, drift.svg, execution.svg

In a scratch git checkout of examples/my_ml_project it applies the manifests, runs one execution
with a controller, switches a launch plan by hand (so drift has something to find), applies again
(which repairs it), then changes the code and commits (so the plan has something to show). Each command runs as a user would run it, with colour
forced on; Rich turns the captured ANSI text into an SVG (``Console.save_svg``).
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

REPO = Path(__file__).resolve().parent.parent
IMG = REPO / "docs" / "img"
FLOWCTL = str(Path(sys.executable).parent / "flowctl")
MIN_WIDTH, MAX_WIDTH = 80, 170  # columns of the rendered terminal: long lines are not wrapped below MAX_WIDTH


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_") and k != "NO_COLOR"}
    env.update(FORCE_COLOR="1", COLUMNS=str(MAX_WIDTH), TERM="xterm-256color", USER="alice", LOGNAME="alice",
               GIT_AUTHOR_NAME="demo", GIT_AUTHOR_EMAIL="demo@example.com",
               GIT_COMMITTER_NAME="demo", GIT_COMMITTER_EMAIL="demo@example.com")
    return env


def _run(work: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    result = subprocess.run([FLOWCTL, *args], cwd=work, env=_env(), capture_output=True, text=True, timeout=300)
    if result.returncode not in ok:
        raise SystemExit(f"flowctl {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


def _git(work: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=work, env=_env(), check=True, capture_output=True)


def _save(name: str, command: str, output: str) -> Path:
    text = Text.from_ansi(output.rstrip("\n"), no_wrap=True)
    width = max(MIN_WIDTH, min(MAX_WIDTH, max(len(line) for line in text.plain.splitlines()) + 1))
    console = Console(record=True, width=width, force_terminal=True, color_system="truecolor", file=io.StringIO())
    console.print(Text(f"$ {command}", style="bold"))
    console.print(text, soft_wrap=False, crop=False)
    path = IMG / f"{name}.svg"
    console.save_svg(str(path), title=command, theme=MONOKAI)
    return path


def _scenario(work: Path) -> list[Path]:
    shutil.copytree(REPO / "examples" / "my_ml_project", work / "my_ml_project",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (work / ".gitignore").write_text("__pycache__/\n")
    _git(work, "init", "-q")
    _git(work, "add", ".")
    _git(work, "commit", "-qm", "my-ml-project manifests")
    _run(work, "apply", "my_ml_project", "--auto-approve")
    _run(work, "apply", "my_ml_project", "--auto-approve")  # staging follows development

    controller = subprocess.Popen([FLOWCTL, "controller", "--poll-interval", "0.2"], cwd=work, env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _run(work, "launch", "my-ml-project", "staging", "flows.training.training_wf",
             "--values", "[1.0,2.0,3.0,4.0]", "--name", "first-run", "--wait", "--json")
    finally:
        os.killpg(controller.pid, signal.SIGTERM)
        controller.wait(timeout=60)
    execution_id = "my-ml-project/staging/first-run"

    _run(work, "launchplan", "deactivate", "my-ml-project", "development", "nightly_training_lp")
    drift = _run(work, "drift", "my_ml_project", ok=(2,))
    _run(work, "apply", "my_ml_project", "--auto-approve")  # repairs the drift

    training = work / "my_ml_project" / "flows" / "training.py"
    training.write_text(training.read_text().replace(
        "return sum((x - weight) ** 2 for x in data) / len(data)",
        "return sum(abs(x - weight) for x in data) / len(data)"))
    _git(work, "commit", "-qam", "evaluate: mean absolute error")
    target = "my-ml-project/development/workflow/flows.training.training_wf"
    plan = _run(work, "plan", "my_ml_project", "--target", target)

    shown = _run(work, "executions", "show", execution_id)
    return [
        _save("plan", f"flowctl plan my_ml_project --target {target}", plan),
        _save("drift", "flowctl drift my_ml_project", drift),
        _save("execution", f"flowctl executions show {execution_id}", shown),
    ]


def main() -> int:
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flowctl-screenshots-") as folder:
        for path in _scenario(Path(folder)):
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
