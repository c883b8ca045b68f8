"""The everyday loop in one git checkout, with the defaults only (no FLOWCTL_* variable, no
flowctl.toml, no --version): plan -> apply -> edit -> commit -> plan -> apply, forever.

flowctl's own files (the registry and blobs in `.flowctl/`, saved plans, redirected output) must
never make the manifest version dirty."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = '''
from flowctl import Project, task, workflow


@task
def double(x: int) -> int:
    return x * FACTOR


@workflow
def doubling(x: int) -> int:
    return double(x=x)


FACTOR = 2
project = Project("loop", domains=["development"])
project.domain("development").register(doubling)
'''

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def clean_env() -> dict[str, str]:
    """The caller's environment without any flowctl setting: only the defaults apply."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")} | {"NO_COLOR": "1"}


def flowctl(cwd: Path, *args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=cwd, env=clean_env(), text=True,
                          stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)


def git(cwd: Path, *args: str) -> str:
    identity = ["-c", "user.name=Loop Test", "-c", "user.email=loop@example.com"]
    done = subprocess.run(["git", *identity, *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          check=True)
    return done.stdout


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plan_apply_edit_commit_forever_in_one_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "manifests"
    repo.mkdir()
    (repo / "pipeline.py").write_text(MANIFEST)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    first_sha = git(repo, "rev-parse", "HEAD").strip()[:12]

    assert f"loop/development/workflow/pipeline.doubling@{first_sha}" in ok(flowctl(repo, "plan"))
    assert "Apply complete!" in ok(flowctl(repo, "apply", "--auto-approve"))
    assert (repo / ".flowctl" / "registry.db").is_file()
    assert (repo / ".flowctl" / ".gitignore").read_text() == "*\n"
    assert git(repo, "status", "--porcelain") == ""

    (repo / "pipeline.py").write_text(MANIFEST.replace("FACTOR = 2", "FACTOR = 3"))
    git(repo, "commit", "-qam", "triple")
    second_sha = git(repo, "rev-parse", "HEAD").strip()[:12]
    # output redirected into the work tree, and a saved plan next to the manifests
    with (repo / "plan.txt").open("w") as redirected:
        assert flowctl(repo, "plan", stdout=redirected).returncode == 0
    assert f"pipeline.doubling@{second_sha}" in (repo / "plan.txt").read_text()
    ok(flowctl(repo, "plan", "--out", "plan.out"))
    assert "Apply complete!" in ok(flowctl(repo, "apply", "plan.out", "--auto-approve"))

    assert ok(flowctl(repo, "plan")) == "No changes. The registry matches your manifests.\n"
    assert ok(flowctl(repo, "plan", "--detailed-exitcode")).startswith("No changes.")
    # a file the user made is code: it makes the tree dirty, and says how to fix it
    (repo / "notes.py").write_text("X = 1\n")
    dirty = flowctl(repo, "plan")
    assert dirty.returncode == 1 and "notes.py" in dirty.stderr and "plan.txt" not in dirty.stderr
    assert "add them to .gitignore" in dirty.stderr
