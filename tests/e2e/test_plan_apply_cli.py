"""`python -m flowctl plan/apply/promote` as subprocesses over examples/my_ml_project, on SQLite and
PostgreSQL: every exit code, saved and stale plans, lock contention between two processes, kill -9
during apply followed by an apply that converges, promotion, versions from git."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_ml_project"


def flowctl(*args: str, env: dict[str, str], cwd: Path, stdin: int | None = subprocess.DEVNULL,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowctl", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, stdin=stdin, timeout=timeout)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "manifests"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("__pycache__", ".flowctl"))
    return target


def env_for(registry_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "FLOWCTL_REGISTRY": registry_url, "FLOWCTL_BLOB_STORE": str(tmp_path / "blobs"),
            "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}


def test_saved_plans_stale_plans_and_approval(registry_url: str, project: Path, tmp_path: Path) -> None:
    env = env_for(registry_url, tmp_path)
    first = flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", "--out", "v1.plan", env=env, cwd=project)
    assert first.returncode == 2, first.stderr
    assert "Plan: 14 to register, 3 to change, 0 to deactivate." in first.stdout  # development only
    assert ("my-ml-project/staging will follow development's new version v1 of flows.training.training_wf on the "
            "next apply") in first.stdout
    assert "Saved the plan to: v1.plan" in first.stderr
    # a second plan, saved before the first is applied, goes stale
    assert flowctl("plan", ".", "--version", "v1", "--out", "also.plan", env=env, cwd=project).returncode == 0

    no_tty = flowctl("apply", ".", "--version", "v1", env=env, cwd=project)
    assert no_tty.returncode == 1 and "stdin is not a terminal" in no_tty.stderr

    applied = flowctl("apply", "v1.plan", env=env, cwd=project)  # a saved plan was reviewed: no question
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete! 14 registered, 3 changed, 0 deactivated." in applied.stdout

    stale = flowctl("apply", "also.plan", "--auto-approve", env=env, cwd=project)
    assert stale.returncode == 1
    assert "Plan is stale: the registry changed after this plan was made" in stale.stderr
    assert "registered since the plan was made" in stale.stderr

    staging = flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project)
    assert "Apply complete! 10 registered, 2 changed, 0 deactivated." in staging.stdout, staging.stderr
    held = flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", env=env, cwd=project)
    assert held.returncode == 0 and held.stdout.endswith("No changes. The registry matches your manifests.\n")
    assert "production <- staging: flows.training.training_wf held at (nothing yet); v1 waits" in held.stdout


def test_error_exit_codes(project: Path, tmp_path: Path, sqlite_url: str) -> None:
    """Exit 3 for breaking changes, 1 for immutability violations and broken manifests (backend-independent)."""
    env = env_for(sqlite_url, tmp_path)
    assert flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project).returncode == 0
    # a breaking change of the active version: exit 3 unless --allow-breaking
    scaling = project / "flows" / "scaling.py"
    scaling.write_text(scaling.read_text().replace("def standard_scale_workflow(values: list[float])",
                                                   "def standard_scale_workflow(values: list[float], offset: float)")
                       .replace('schedule=CronSchedule(schedule="0 0 * * *"),', ""))
    breaking = flowctl("plan", ".", "--version", "v2", "--detailed-exitcode", env=env, cwd=project)
    assert breaking.returncode == 3, breaking.stderr
    assert "BREAKING" in breaking.stdout and "new input `offset` (float) is required" in breaking.stdout
    assert "--allow-breaking" in breaking.stderr
    allowed = flowctl("plan", ".", "--version", "v2", "--allow-breaking", "--detailed-exitcode", env=env, cwd=project)
    assert allowed.returncode == 2

    # different content under an existing version: an error naming the difference (exit 1)
    immutable = flowctl("plan", ".", "--version", "v1", env=env, cwd=project)
    assert immutable.returncode == 1
    assert "already registered with different content" in immutable.stderr and "--version NEW" in immutable.stderr

    # a broken manifest: exit 1, one clear message with file:line
    (project / "broken.py").write_text("x = (\n")
    broken = flowctl("plan", ".", "--version", "v2", env=env, cwd=project)
    assert broken.returncode == 1 and "Syntax error in manifest module `broken`" in broken.stderr
    assert "broken.py:" in broken.stderr and "Traceback" not in broken.stderr


def test_json_and_markdown_output(project: Path, tmp_path: Path, sqlite_url: str) -> None:
    env = env_for(sqlite_url, tmp_path)
    result = flowctl("plan", ".", "--version", "v1", "--json", env=env, cwd=project)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["format_version"] == "1.2"
    assert document["summary"]["register"] == 14 and document["registry"]["serial"] == 0
    assert {(p["domain"], p["state"], p["next_version"]) for p in document["promotions"]} == {
        ("staging", "waiting", "v1"), ("production", "waiting", None)}
    assert {c["action"] for c in document["changes"]} == {"register", "change"}
    (forecast,) = [f for f in document["schedule_forecasts"] if "development" in f["address"]]
    assert forecast["timezone"] == "Europe/Zurich" and len(forecast["fire_times"]) == 3
    markdown = flowctl("plan", ".", "--version", "v1", "-o", "markdown", env=env, cwd=project)
    assert "<details><summary><b>my-ml-project / production</b>" in markdown.stdout  # its settings
    assert "#### Promotions" in markdown.stdout
    assert len(markdown.stdout) < 65_000


def test_target_limits_and_warns(project: Path, tmp_path: Path, sqlite_url: str) -> None:
    env = env_for(sqlite_url, tmp_path)
    target = "my-ml-project/development/workflow/flows.scaling.standard_scale_workflow"
    result = flowctl("plan", ".", "--version", "v1", "--target", target, env=env, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Plan: 6 to register, 1 to change, 0 to deactivate." in result.stdout
    assert "(--target)" in result.stdout and '"my-ml-project/production/' not in result.stdout


def _hold_lock_script(url: str) -> str:
    """Holds the registry lock until a line arrives on stdin."""
    return textwrap.dedent(f"""
        import sys
        from flowctl.state import LockInfo, open_store
        store = open_store({url!r})
        with store.lock(LockInfo(operation="apply", holder="other@ci:42"), timeout=30):
            print("locked", flush=True)
            sys.stdin.readline()
        store.close()
    """)


def test_lock_contention_between_two_processes(registry_url: str, project: Path, tmp_path: Path) -> None:
    env = env_for(registry_url, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", _hold_lock_script(registry_url)], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        refused = flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project)
        assert refused.returncode == 1, refused.stdout
        assert "other@ci:42" in refused.stderr
        assert refused.stdout == ""  # the lock is taken before planning: no plan printed first
        waiting = subprocess.Popen([sys.executable, "-m", "flowctl", "apply", ".", "--version", "v1", "--auto-approve",
                                    "--lock-timeout", "60"], env=env, cwd=project, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the lock
        holder.stdin.write("release\n")
        holder.stdin.flush()
        out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        assert "Apply complete!" in out
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert_only_staging_follows(flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", env=env, cwd=project))


def assert_only_staging_follows(plan: subprocess.CompletedProcess[str]) -> None:
    """Development was applied: what is left is staging's promotion (one step per apply)."""
    assert plan.returncode == 2, plan.stderr
    assert "Plan: 10 to register, 2 to change, 0 to deactivate." in plan.stdout
    assert "my-ml-project/staging <- development: flows.training.training_wf (none) -> v1" in plan.stdout


def _break_locks(url: str) -> None:
    from flowctl.state import open_store

    store = open_store(url)
    try:
        for lock in store.list_locks():
            store.break_lock(lock.id)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("backend", "kill_at"),
    [("sqlite_url", "register:"), ("sqlite_url", "Phase 2:"),
     pytest.param("postgres_url", "Phase 2:", marks=pytest.mark.postgres)],
)
def test_kill_9_during_apply_then_apply_converges(backend: str, kill_at: str, project: Path, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    """Killed inside phase 1 (nothing written) or between the phases (versions written, nothing else)."""
    registry_url = str(request.getfixturevalue(backend))
    env = env_for(registry_url, tmp_path)
    if kill_at == "register:":  # registrations are one batch: hold phase 1 open after its progress lines
        env["FLOWCTL_TEST_PAUSE_BEFORE_COMMIT"] = "1:30"
    proc = subprocess.Popen([sys.executable, "-m", "flowctl", "apply", ".", "--version", "v1", "--auto-approve"],
                            env=env, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if kill_at in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
        assert time.monotonic() < deadline
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "apply finished before it could be killed"
    _break_locks(registry_url)  # `flowctl lock break ID`; on its own the lock expires after its TTL
    remaining = flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", env=env, cwd=project)
    assert remaining.returncode == 2
    if kill_at == "Phase 2:":  # phase 1 was committed: activations, two domains' settings (and staging) are left
        assert "Plan: 12 to register, 5 to change" in remaining.stdout  # staging follows the registered versions
        assert "will be registered (new)" not in remaining.stdout
    else:  # killed inside phase 1: nothing was written
        assert "Plan: 14 to register, 3 to change" in remaining.stdout
    converged = flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project)
    assert converged.returncode == 0, converged.stderr
    if kill_at != "Phase 2:":
        assert_only_staging_follows(flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", env=env,
                                            cwd=project))


PROMOTE_MANIFEST = """
from flows.scaling import standard_scale_workflow
from flowctl import Project

project = Project("scaling", domains=["staging", "production"])
project.domain("staging").register(standard_scale_workflow)
"""


def test_promote_command(project: Path, tmp_path: Path, sqlite_url: str) -> None:
    env = env_for(sqlite_url, tmp_path)
    (project / "project.py").write_text(PROMOTE_MANIFEST)
    assert flowctl("apply", ".", "--version", "s1", "--auto-approve", env=env, cwd=project).returncode == 0
    gated = flowctl("promote", "scaling", "staging", "production", "--require-successes", "1", "--auto-approve",
                    env=env, cwd=project)
    assert gated.returncode == 4, gated.stderr  # a gate is not met: nothing promoted
    assert "Nothing was promoted: a promotion gate is not met" in gated.stderr
    assert "0 succeeded" in gated.stderr and "flowctl launch scaling staging" in gated.stderr
    dry = flowctl("promote", "scaling", "staging", "production", "--dry-run", env=env, cwd=project)
    assert dry.returncode == 0 and "promoted from staging (identical digest)" in dry.stdout
    no_tty = flowctl("promote", "scaling", "staging", "production", env=env, cwd=project)
    assert no_tty.returncode == 1 and "stdin is not a terminal" in no_tty.stderr
    promoted = flowctl("promote", "scaling", "--from", "staging", "--to", "production", "--auto-approve",
                       env=env, cwd=project)  # the option form works too
    assert promoted.returncode == 0, promoted.stderr
    assert "promoted from staging (identical digest)" in promoted.stdout
    assert "Apply complete! 5 registered, 1 changed, 0 deactivated." in promoted.stdout
    again = flowctl("promote", "scaling", "staging", "production", env=env, cwd=project)
    assert again.returncode == 0 and "No changes." in again.stdout
    # the manifest does not manage production: its next plan leaves the promoted versions alone
    assert flowctl("plan", ".", "--version", "s1", "--detailed-exitcode", env=env, cwd=project).returncode == 0
    missing = flowctl("promote", "scaling", "staging", "production", "--entity", "nope", env=env, cwd=project)
    assert missing.returncode == 1 and "`nope` is not registered in scaling/staging" in missing.stderr


def test_versions_from_git(project: Path, tmp_path: Path, sqlite_url: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = {**env_for(sqlite_url, tmp_path), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}
    (project / ".gitignore").write_text("*.plan\n__pycache__/\n")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "manifests"]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True)
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True,
                         check=True).stdout.strip()[:12]
    clean = flowctl("plan", ".", env=env, cwd=project)
    assert clean.returncode == 0, clean.stderr
    assert f"my-ml-project/development/workflow/flows.training.training_wf@{sha}" in clean.stdout
    (project / "flows" / "training.py").write_text((project / "flows" / "training.py").read_text() + "\n# edit\n")
    dirty = flowctl("plan", ".", env=env, cwd=project)
    assert dirty.returncode == 1 and "uncommitted changes" in dirty.stderr
    assert "--version V" in dirty.stderr and "--allow-dirty" in dirty.stderr
    allowed = flowctl("plan", ".", "--allow-dirty", env=env, cwd=project)
    assert allowed.returncode == 0 and f"@{sha}-dirty-" in allowed.stdout
