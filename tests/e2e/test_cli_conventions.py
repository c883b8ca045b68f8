"""The conventions Terraform and Flyte users rely on (issue 16), one test each: --version and
`version -o json`, -h on every command, shell completion, saved plans that do not ask, -auto-approve,
`show PLANFILE`, the lock taken before planning, whole stale-plan lists, colour rules, one naming
rule for output flags, and `destroy`."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from cli_support import Result, assert_diagnostic, invoke

MANIFEST = """
from flowctl import CronSchedule, LaunchPlan, Project, task, workflow

@task
def double(x: int) -> int:
    return 2 * x

@workflow
def wf(x: int = 1) -> int:
    return double(x=x)

nightly = LaunchPlan.get_or_create(wf, name="nightly", schedule=CronSchedule(schedule="0 0 * * *"))

dev = Project("p", domains=["development"]).domain("development")
dev.register(wf)
dev.launch_plan(nightly, active=True)
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "manifest.py").write_text(textwrap.dedent(MANIFEST))
    return tmp_path


def _run(manifest: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return invoke(*args, "--registry", f"sqlite:///{manifest / 'registry.db'}", cwd=manifest,
                  env={"FLOWCTL_BLOB_STORE": str(manifest / "blobs"), **(env or {})})


# ---------------------------------------------------------------- 1. version, -h, completion
def test_version_flag_and_version_command() -> None:
    from flowctl.cli.cmd_version import flowctl_version
    from flowctl.state import SCHEMA_HEAD

    short = invoke("--version")
    assert short.code == 0 and short.stdout == f"flowctl {flowctl_version()}\n"
    assert flowctl_version() != "unknown"
    text = invoke("version")
    assert text.code == 0 and f"registry schema {SCHEMA_HEAD}" in text.stdout
    assert "provider local: available" in text.stdout
    doc = json.loads(invoke("version", "-o", "json").stdout)
    assert doc["flowctl"] == flowctl_version() and doc["registry_schema"] == SCHEMA_HEAD
    assert doc["python"].count(".") == 2
    assert [p["name"] for p in doc["providers"]] == ["local", "kubernetes"]
    assert json.loads(invoke("version", "--json").stdout) == doc


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for command in group.registered_commands:
        yield (*prefix, command.name or "")
    for sub in group.registered_groups:
        assert sub.name and sub.typer_instance
        yield (*prefix, sub.name)
        yield from _commands(sub.typer_instance, (*prefix, sub.name))


def test_every_command_answers_dash_h() -> None:
    from flowctl.cli import _register_commands, app

    _register_commands()
    commands = list(_commands(app))
    assert ("executions", "watch") in commands and ("destroy",) in commands and len(commands) > 30
    for command in [(), *commands]:
        result = invoke(*command, "-h")
        assert result.code == 0, (command, result.output)
        assert "Usage: " in result.stdout, (command, result.output)
        assert result.stdout == invoke(*command, "--help").stdout, command


def test_shell_completion_is_offered() -> None:
    help_text = invoke("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


# ---------------------------------------------------------------- 2. plan/apply habits
def test_a_saved_plan_applies_without_asking_and_show_renders_it(manifest: Path) -> None:
    planned = _run(manifest, "plan", ".", "--version", "v1", "--out", "v1.plan")
    assert planned.code == 0, planned.output
    shown = invoke("show", "v1.plan", cwd=manifest)  # the registry is not read
    assert shown.code == 0 and shown.stdout == planned.stdout
    as_json = json.loads(invoke("show", "v1.plan", "-o", "json", cwd=manifest).stdout)
    assert as_json["summary"]["text"].startswith("Plan: ")
    assert json.loads(invoke("show", "v1.plan", "--json", cwd=manifest).stdout) == as_json
    # stdin is not a terminal: a manifest apply would refuse; the reviewed saved plan does not ask
    applied = _run(manifest, "apply", "v1.plan")
    assert applied.code == 0, applied.output
    assert "Apply complete!" in applied.stdout


def test_show_of_a_file_that_is_not_a_plan_is_a_diagnostic(manifest: Path) -> None:
    (manifest / "notes.txt").write_text("hello")
    assert_diagnostic(invoke("show", "notes.txt", cwd=manifest), "notes.txt")


def test_terraform_spelling_of_auto_approve(manifest: Path) -> None:
    applied = _run(manifest, "apply", ".", "--version", "v1", "-auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete!" in applied.stdout


def test_a_held_lock_fails_before_the_plan_is_computed_or_printed(manifest: Path) -> None:
    from flowctl.state import LockInfo, open_store

    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    (manifest / "manifest.py").write_text(textwrap.dedent(MANIFEST).replace("2 * x", "3 * x"))
    store = open_store(f"sqlite:///{manifest / 'registry.db'}")
    try:
        with store.lock(LockInfo(operation="apply", holder="other@ci:42")):
            refused = _run(manifest, "apply", ".", "--version", "v2", "--auto-approve")
            planned = _run(manifest, "plan", ".", "--version", "v2")
    finally:
        store.close()
    assert_diagnostic(refused, "other@ci:42")
    assert refused.stdout == ""  # no plan was printed before the lock was refused
    assert planned.code == 0 and "Note: the registry is locked by other@ci:42 (apply, 0s ago)" in planned.stderr
    assert "Plan: 4 to register, 2 to change" in planned.stdout  # plan only reads: it reports the holder, and plans


def test_promote_takes_the_lock_before_it_plans(manifest: Path) -> None:
    from flowctl.state import LockInfo, open_store

    (manifest / "manifest.py").write_text(textwrap.dedent(MANIFEST).replace('domains=["development"]',
                                                                           'domains=["development", "staging"]'))
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    store = open_store(f"sqlite:///{manifest / 'registry.db'}")
    try:
        with store.lock(LockInfo(operation="apply", holder="other@ci:42")):
            refused = _run(manifest, "promote", "p", "development", "staging", "--auto-approve")
            previewed = _run(manifest, "promote", "p", "development", "staging", "--dry-run")
    finally:
        store.close()
    assert_diagnostic(refused, "other@ci:42")
    assert refused.stdout == ""  # no plan was computed or printed before the lock was refused
    assert previewed.code == 0 and "Note: the registry is locked by other@ci:42 (apply, 0s ago)" in previewed.stderr
    assert "Plan: " in previewed.stdout  # --dry-run only reads: it reports the holder, and plans
    promoted = _run(manifest, "promote", "p", "development", "staging", "--auto-approve")
    assert promoted.code == 0, promoted.output
    assert "Apply complete!" in promoted.stdout


def test_a_stale_plan_lists_every_object_that_moved(manifest: Path) -> None:
    many = "\n".join(f"@task\ndef t{i}(x: int) -> int:\n    return x + {i}\n\ndev.register(t{i})\n" for i in range(30))
    (manifest / "manifest.py").write_text(textwrap.dedent(MANIFEST) + many)
    assert _run(manifest, "plan", ".", "--version", "v1", "--out", "old.plan").code == 0
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    stale = _run(manifest, "apply", "old.plan")
    assert_diagnostic(stale, "Plan is stale")
    assert stale.stdout == ""  # refused before the plan is shown
    registered = [line for line in stale.stderr.splitlines() if "registered since the plan was made" in line]
    assert len(registered) > 30  # every one, not the first 20
    moved = stale.stderr.split("Objects in this plan that moved (", 1)[1]
    count, _, rest = moved.partition("):\n")
    assert int(count) == len(rest.splitlines()) - 1 > 30  # the list, then the hint


# ---------------------------------------------------------------- 3. colour
def test_plan_colour_follows_the_terminal_and_no_color(manifest: Path) -> None:
    plain = _run(manifest, "plan", ".", "--version", "v1")
    assert plain.code == 0 and not ANSI.search(plain.stdout)  # not a terminal: no colour
    forced = _run(manifest, "plan", ".", "--version", "v1", env={"FORCE_COLOR": "1"})
    assert "\x1b[32m" in forced.stdout  # green registrations
    assert ANSI.sub("", forced.stdout) == plain.stdout
    for args, env in ((("--no-color",), {"FORCE_COLOR": "1"}), ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"})):
        assert not ANSI.search(_run(manifest, "plan", ".", "--version", "v1", *args, env=env).stdout)


def test_line_colours_are_terraforms() -> None:
    from flowctl.cli._colour import coloured, style_of

    assert style_of('  + task "p/development/task/t@v1" {') == "green"
    assert style_of("      ~ schedule = a -> b") == "yellow"
    assert style_of('  > launch_plan "p/d/launch_plan/lp" {') == "yellow"
    assert style_of('  - launch_plan "p/d/launch_plan/lp" {') == "red"
    assert style_of("  ! p/d/launch_plan/lp: schedule did not fire [error]") == "red"
    assert style_of("  # p/d/task/t will be registered (new)") is None
    assert coloured("  - gone\n") == "\x1b[31m  - gone\x1b[0m\n"


def test_drift_text_is_coloured_only_when_asked(manifest: Path) -> None:
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    plain = _run(manifest, "drift", ".")
    forced = _run(manifest, "drift", ".", env={"FORCE_COLOR": "1"})
    assert plain.code == forced.code == 0 and not ANSI.search(plain.stdout)
    assert ANSI.sub("", forced.stdout) == plain.stdout and ANSI.search(forced.stdout)
    assert not ANSI.search(_run(manifest, "drift", ".", "--no-color", env={"FORCE_COLOR": "1"}).stdout)


# ---------------------------------------------------------------- 4. output flags
def test_drift_output_is_the_format_and_out_the_file(manifest: Path) -> None:
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    doc = json.loads(_run(manifest, "drift", ".", "-o", "json").stdout)
    assert doc["drift"] is False
    alias = json.loads(_run(manifest, "drift", ".", "--json").stdout)
    assert alias.pop("generated_at") and doc.pop("generated_at") and alias == doc
    written = _run(manifest, "drift", ".", "--output", "html", "--out", "report.html")
    assert written.code == 0 and written.stdout == "" and "Report written to report.html" in written.stderr
    assert (manifest / "report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_the_old_drift_output_file_spelling_says_the_new_one(manifest: Path) -> None:
    result = _run(manifest, "drift", ".", "--output", "drift.html")
    assert_diagnostic(result, "'drift.html' looks like a file", "--out FILE", code=2)
    assert not (manifest / "drift.html").exists()


@pytest.mark.parametrize("command", [["registry", "info"], ["config", "show"], ["plugins", "list"],
                                     ["executions", "list"], ["version"], ["lock", "list"], ["get", "projects"],
                                     ["get", "workflows"], ["get", "executions"]])
def test_minus_o_json_everywhere_and_json_as_its_alias(manifest: Path, command: list[str]) -> None:
    url = f"sqlite:///{manifest / 'registry.db'}"
    assert invoke("registry", "migrate", "--registry", url, cwd=manifest).code == 0
    env = {"FLOWCTL_REGISTRY": url}
    as_o = invoke(*command, "-o", "json", cwd=manifest, env=env)
    assert as_o.code == 0, as_o.output
    json.loads(as_o.stdout)
    assert invoke(*command, "--json", cwd=manifest, env=env).stdout == as_o.stdout
    assert invoke(*command, "--output", "json", cwd=manifest, env=env).stdout == as_o.stdout


# ---------------------------------------------------------------- 5. destroy
def test_destroy_deactivates_what_the_manifests_activated(manifest: Path) -> None:
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    asked = _run(manifest, "destroy", ".", "--version", "v1")
    assert_diagnostic(asked, "stdin is not a terminal")
    assert "p/development/launch_plan/nightly will be deactivated" in asked.stdout
    destroyed = _run(manifest, "destroy", ".", "--version", "v1", "-auto-approve", "--detailed-exitcode")
    assert destroyed.code == 2, destroyed.output
    assert "Apply complete! 0 registered, 0 changed, 2 deactivated." in destroyed.stdout  # nightly and wf's default
    again = _run(manifest, "destroy", ".", "--version", "v1", "--auto-approve", "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.stdout
    listed = json.loads(_run(manifest, "get", "launchplans", "-o", "json").stdout)
    assert listed["items"] and not any(item.get("active") for item in listed["items"])
    replan = _run(manifest, "plan", ".", "--version", "v1", "--detailed-exitcode")
    assert replan.code == 2 and "will be activated" in replan.stdout  # apply brings it back
