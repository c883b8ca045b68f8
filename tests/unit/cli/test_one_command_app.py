"""A run builds only the click command it runs (cli/__init__._app_for): the named command's module
registered on its own app. What a user sees must not change: help and usage errors equal the whole
app's, and anything that is not plainly one command's run gets the whole app."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flowctl import cli
from flowctl.cli import _app_for, _register_commands, app


def _names() -> list[str]:
    _register_commands()
    return sorted({c.name for c in app.registered_commands if c.name} | {g.name for g in app.registered_groups if g.name})


def test_every_command_has_an_app_of_its_own() -> None:
    names = _names()
    assert len(names) > 20
    for name in names:
        one = _app_for([name, "--help"])
        assert one is not app, name
        assert {c.name for c in one.registered_commands} | {g.name for g in one.registered_groups} == {name}


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["--version"], ["nosuch"], ["plan/x"], ["--bogus", "plan"],
                                  ["_coerce"], ["__init__"]])
def test_anything_else_gets_the_whole_app(argv: list[str]) -> None:
    assert _app_for(argv) is app


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_FLOWCTL_COMPLETE", "bash_complete")
    assert _app_for(["get", "projects"]) is app


def test_root_flags_before_the_name_are_skipped() -> None:
    one = _app_for(["--debug", "get", "projects"])
    assert one is not app and [g.name for g in one.registered_groups] == ["get"]


@pytest.mark.parametrize("name", _names())
def test_help_and_usage_errors_are_the_whole_app_s(name: str) -> None:
    runner = CliRunner()
    for argv in ([name, "--help"], [name, "--no-such-option"]):
        whole = runner.invoke(app, argv, prog_name="flowctl")
        alone = runner.invoke(_app_for(argv), argv, prog_name="flowctl")
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), argv


def test_main_runs_the_command_through_its_own_app(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli._main(["version"])
    assert done.value.code in (0, None)
    assert "flowctl" in capsys.readouterr().out
