"""Options with a closed set of values or a numeric range, output files and registry paths: a
diagnostic (usage error exit 2, or exit 1) naming the option and what is accepted, never exit 70,
never a hang, nothing written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cli_support import assert_diagnostic, invoke


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "manifest.py").write_text(textwrap.dedent("""
        from flowctl import Project, task

        @task
        def t(x: int) -> int:
            return x

        Project("p").domain("development").register(t)
    """))
    return tmp_path


def _registry(tmp: Path) -> list[str]:
    return ["--registry", f"sqlite:///{tmp / 'registry.db'}"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["executions", "list", "--phase", "bogus"],
         "'bogus' is not one of 'queued', 'running', 'succeeded', 'failed', 'timed_out', 'aborted'"),
        (["controller", "--provider", "bogus", "--once"], "'bogus' is not one of 'local', 'kubernetes'"),
        (["plan", "-o", "yaml"], "'yaml' is not one of 'text', 'json', 'markdown'"),
        (["promote", "p", "--from", "a", "--to", "b", "-o", "yaml"], "'yaml' is not one of"),
        (["lock", "list", "-o", "xml"], "'xml' is not one of 'table', 'json'"),
        (["get", "workflows", "-o", "xml"], "'xml' is not one of"),
        (["drift", "--format", "pdf"], "'pdf' is not one of"),
        (["drift", "-o", "pdf"], "'pdf' is not one of text, json, markdown, html"),
        (["controller", "--slots", "-1", "--once"], "'--slots': -1 is out of range: use a whole number from 1"),
        (["controller", "--slots", "0", "--once"], "'--slots': 0 is out of range"),
        (["controller", "--poll-interval", "0", "--once"], "'--poll-interval': 0 is out of range"),
        (["controller", "--poll-interval", "nan", "--once"], "'--poll-interval': nan is out of range"),
        (["controller", "--lease-seconds", "-5", "--once"], "'--lease-seconds': -5 is out of range"),
        (["executions", "list", "--limit", "1e20"], "'--limit': '1e20' is not a whole number"),
        (["executions", "list", "--limit", "100000000000000000000"], "'--limit': 100000000000000000000 is out of range"),
        (["executions", "list", "--limit", "0"], "'--limit': 0 is out of range"),
        (["get", "executions", "--limit", "-3"], "'--limit': -3 is out of range"),
        (["executions", "logs", "x", "--attempt", "-1"], "'--attempt': -1 is out of range"),
        (["apply", "--lock-timeout", "1e20"], "'--lock-timeout': 1e20 is out of range"),
        (["apply", "--lock-timeout", "inf"], "'--lock-timeout': inf is out of range"),
        (["apply", "--lock-timeout", "-1"], "'--lock-timeout': -1 is out of range"),
        (["promote", "p", "--from", "a", "--to", "b", "--lock-timeout", "nan"], "'--lock-timeout': nan is out of range"),
        (["promote", "p", "--from", "a", "--to", "b", "--require-successes", "-1"], "'--require-successes': -1"),
    ],
)
def test_closed_sets_and_ranges_are_usage_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    result = invoke(*args, *_registry(tmp_path), cwd=tmp_path)
    assert_diagnostic(result, fragment, code=2)
    assert not (tmp_path / "registry.db").exists()


def test_the_phase_choice_is_the_registrys_set_of_phases() -> None:
    from flowctl.cli._options import ExecutionPhase
    from flowctl.state._execution_records import ACTIVE_PHASES, TERMINAL_PHASES

    assert {p.value for p in ExecutionPhase} == set(TERMINAL_PHASES) | set(ACTIVE_PHASES)


def test_a_valid_phase_filters(tmp_path: Path) -> None:
    invoke("registry", "migrate", *_registry(tmp_path), cwd=tmp_path)
    result = invoke("executions", "list", "--phase", "timed_out", "--limit", "5", *_registry(tmp_path), cwd=tmp_path)
    assert result.code == 0, result.output


@pytest.mark.parametrize("out", ["/proc/version", "/proc/no/such/plan.out", "/", "/etc/hostname/plan.out",
                                 "x" * 300 + ".out"])
def test_plan_out_to_an_unwritable_path_is_a_diagnostic(manifest: Path, out: str) -> None:
    result = invoke("plan", ".", "--version", "v1", "--out", out, *_registry(manifest), cwd=manifest)
    assert_diagnostic(result, "Cannot write the plan to ", "Or choose a path in a folder you can write to")
    assert not list(manifest.glob(".*.tmp")), "no temporary file is left behind"


def test_a_saved_plan_is_written_whole_and_private(manifest: Path) -> None:
    result = invoke("plan", ".", "--version", "v1", "--out", "sub/plan.out", *_registry(manifest), cwd=manifest)
    assert result.code == 0, result.output
    assert (manifest / "sub" / "plan.out").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in (manifest / "sub").iterdir()] == ["plan.out"]


def test_drift_output_to_an_unwritable_path_is_a_diagnostic(manifest: Path) -> None:
    assert invoke("apply", ".", "--version", "v1", "--auto-approve", *_registry(manifest), cwd=manifest).code == 0
    result = invoke("drift", ".", "--out", "/proc/drift.html", "-o", "html", *_registry(manifest),
                    cwd=manifest)
    assert_diagnostic(result, "Cannot write the drift report to /proc/drift.html")


def test_a_saved_plan_that_was_tampered_with_is_a_diagnostic(manifest: Path) -> None:
    (manifest / "bad.plan").write_text('{"kind": "flowctl-plan", "planfile_version": 1, "plan": {"x": 1}}')
    (manifest / "deep.plan").write_text('{"kind": "flowctl-plan", "planfile_version": 1, "plan": '
                                        + "[" * 100_000 + "]" * 100_000 + "}")
    for name in ("bad.plan", "deep.plan"):
        result = invoke("apply", name, "--auto-approve", *_registry(manifest), cwd=manifest)
        assert_diagnostic(result, f"{name}")


LONG_NAME = "a" * 5000
DEEP_PATH = "/".join(["abc"] * 1500)


COMMANDS = [["get", "workflows"], ["executions", "list"], ["registry", "info"], ["lock", "list"],
            ["plan", ".", "--version", "v1"], ["apply", ".", "--version", "v1", "--auto-approve"], ["drift", "."],
            ["controller", "--once"]]


@pytest.mark.parametrize(("command", "path"), [*((c, LONG_NAME + ".db") for c in COMMANDS),
                                               (["get", "workflows"], DEEP_PATH + ".db"),
                                               (["apply", ".", "--version", "v1"], "nul%00byte.db")])
def test_an_impossible_sqlite_path_is_a_diagnostic(manifest: Path, command: list[str], path: str) -> None:
    result = invoke(*command, "--registry", f"sqlite:///{path}", cwd=manifest)
    assert_diagnostic(result, "Invalid registry path ", "sqlite:///relative/path/registry.db")
    assert len(result.stderr) < 1000  # the path is shortened, not echoed 5,000 characters long


def test_a_sqlite_url_with_two_slashes_is_explained(manifest: Path) -> None:
    result = invoke("get", "workflows", "--registry", "sqlite://registry.db", cwd=manifest)
    assert_diagnostic(result, "a SQLite URL has three slashes")


@pytest.mark.parametrize(("value", "message"), [
    ("NaN", "--x: NaN is not a finite number"), ("1e999", "--x: 1e999 is not a finite number"),
    ("-Infinity", "--x: -Infinity is not a finite number"), ("true", "expected float, got True"),
    ("[1.0]", "expected float, got [1.0]"), ("[" * 3000 + "]" * 3000, "--x is nested deeper than 64 levels"),
])
def test_run_refuses_what_is_not_a_finite_float(tmp_path: Path, value: str, message: str) -> None:
    (tmp_path / "float_flows.py").write_text("from flowctl import task\n\n@task\ndef half(x: float) -> float:\n"
                                             "    return x / 2\n")
    assert_diagnostic(invoke("run", "float_flows.py", "half", "--x", value, cwd=tmp_path), message)
    assert_diagnostic(invoke("run", "float_flows.py", "half", "-i", f"x={value}", cwd=tmp_path), message)
    assert invoke("run", "float_flows.py", "half", "--x", "3", cwd=tmp_path).stdout == "o0: 1.5\n"
    assert invoke("run", "float_flows.py", "half", "--x", "-3", cwd=tmp_path).stdout == "o0: -1.5\n"  # not an option
