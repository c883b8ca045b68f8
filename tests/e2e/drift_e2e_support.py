"""A manifest folder applied once by the real CLI; each test gets a copy of its registry."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MANIFEST = """
from flowctl import CronSchedule, LaunchPlan, task, workflow
from flowctl._project import Project


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def wf(x: int = 1) -> int:
    return double(x=x)


hourly = LaunchPlan.get_or_create(wf, name="hourly", schedule=CronSchedule(schedule="0 * * * *"))

project = Project("demo", domains=["development", "production"])
dev = project.domain("development")
dev.register(wf, version="v1")
dev.launch_plan(hourly, active=True)
"""


def flowctl(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m flowctl ARGS`` in a subprocess, as a user or CI runs it."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("FLOWCTL_REGISTRY", None)
    return subprocess.run(
        [sys.executable, "-m", "flowctl", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class Applied:
    root: Path  # the manifest folder
    db: Path  # its registry

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def sql(self, statement: str) -> None:
        with sqlite3.connect(self.db) as conn:
            conn.execute(statement)


def make_applied(template: Path) -> Applied:
    """Write the manifest and apply it with ``flowctl apply --auto-approve``."""
    root = template / "demo_manifests"
    root.mkdir()
    (root / "manifest.py").write_text(MANIFEST)
    result = flowctl("apply", ".", "--auto-approve", cwd=root)
    assert result.returncode == 0, result.stderr
    return Applied(root, root / ".flowctl" / "registry.db")


def copy_applied(template: Applied, target: Path) -> Applied:
    root = target / template.root.name
    shutil.copytree(template.root, root)
    return Applied(root, root / ".flowctl" / "registry.db")
