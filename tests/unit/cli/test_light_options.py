"""flowctl/cli/_coerce: every option of every flowctl command gets from the pydantic-free coercion
exactly the value, or the error, that typer's own coercion gives."""

from __future__ import annotations

from collections.abc import Iterator
from enum import EnumMeta
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer._coercion import build_runtime_param

from flowctl.cli import _register_commands, app
from flowctl.cli._coerce import _build, _Plain

SAMPLES: tuple[Any, ...] = ("", "x", "json", "JSON", "table", "yaml", "queued", "bogus", "0", "5", "1000001", " 7 ",
                            "1.5", "-1", "true", "1", "yes", 3, True, False)


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """Path values a Path option meets: files, folders, missing ones, spellings Path() normalises."""
    root = tmp_path_factory.mktemp("paths")
    (root / "manifest.py").write_text("")
    (root / "folder").mkdir()
    (root / "link").symlink_to(root / "manifest.py")
    names = ("manifest.py", "manifest.py/", "folder", "folder/", "link", "missing", "missing/x", "folder//manifest.py")
    yield (*(str(root / name) for name in names),
           "./x", "x/", ".", "-", "a\x00b", root / "folder", Path("rel"), b"bytes", ["a"])


def _parameters() -> list[Any]:
    _register_commands()
    found: list[Any] = []

    def walk(command: Any) -> None:
        found.extend(p for p in command.params if hasattr(p, "type_descriptor"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(typer.main.get_command(app))
    return found


def _outcome(runtime: Any, value: Any, param: Any) -> tuple[str, Any]:
    try:
        return "value", runtime._coerce_value(value, param=param, ctx=None)
    except Exception as exc:  # the error a user sees: its class and text
        return "error", (type(exc).__name__, str(getattr(exc, "message", exc)))


LISTS: tuple[Any, ...] = ((), ("a",), ["a", "b"], ("a", 3), [b"x"], ("", " y "), [None], {"a"})


def test_plain_options_coerce_as_typer_does(paths: tuple[Any, ...]) -> None:
    light = 0
    for param in _parameters():
        ours, typers = _build(param.type_descriptor), build_runtime_param(param.type_descriptor)
        if not isinstance(ours, _Plain):
            continue
        light += 1
        for value in (*SAMPLES, *paths, *LISTS, param.default):
            assert _outcome(ours, value, param) == _outcome(typers, value, param), (param.name, value)
            if _outcome(ours, value, param)[0] == "value":
                assert type(_outcome(ours, value, param)[1]) is type(_outcome(typers, value, param)[1])
    assert light > 120, "str, bool, enum, parser=, Path and list[str] options are coerced without pydantic"


def test_path_and_list_options_are_coerced_without_pydantic() -> None:
    kinds = {str(p.type_descriptor.annotation) for p in _parameters() if isinstance(_build(p.type_descriptor), _Plain)}
    assert kinds >= {"<class 'pathlib.Path'>", "list[str]"}


def test_other_options_keep_typer_s_coercion() -> None:
    others = [p for p in _parameters() if p.type_descriptor.annotation not in (str, bool)
              and p.type_descriptor.parameter_info.parser is None and not isinstance(p.type_descriptor.annotation, EnumMeta)
              and str(p.type_descriptor.annotation) not in ("<class 'pathlib.Path'>", "list[str]")]
    assert {str(p.type_descriptor.annotation) for p in others} >= {"<class 'int'>", "<class 'float'>"}
    assert not [p.name for p in others if isinstance(_build(p.type_descriptor), _Plain)]


def test_plan_s_arguments_build_no_typer_adapter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """plan and apply's PATH, --out and --target: the values a plan is run with reach no pydantic TypeAdapter."""
    import typer.core

    import flowctl.cli._coerce as coerce

    def refused(descriptor: Any) -> Any:
        raise AssertionError(f"typer's adapter built for {descriptor.annotation}")

    monkeypatch.setattr(typer.core, "build_runtime_param", _build)  # what install() does, undone after the test
    monkeypatch.setattr(coerce, "build_runtime_param", refused)
    (tmp_path / "manifest.py").write_text("")
    _register_commands()
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    for name in ("plan", "apply"):
        args = [str(tmp_path / "manifest.py"), "--target", "a/b", "--target", "c", "--version", "v1"]
        ctx = command.commands[name].make_context(name, [*args, "--out", str(tmp_path / "plan.json")] if name == "plan"
                                                  else args)
        assert ctx.params["path"] == tmp_path / "manifest.py"
        assert ctx.params["target"] == ["a/b", "c"]


def test_a_value_it_cannot_answer_goes_to_typer() -> None:
    param = next(p for p in _parameters() if p.type_descriptor.annotation is str)
    ours = _build(param.type_descriptor)
    assert _outcome(ours, b"caf\xc3\xa9", param) == _outcome(build_runtime_param(param.type_descriptor),
                                                             b"caf\xc3\xa9", param) == ("value", "café")
