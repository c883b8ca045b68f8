"""flowctl/cli/_coerce: every option of every flowctl command gets from the pydantic-free coercion
exactly the value, or the error, that typer's own coercion gives."""

from __future__ import annotations

from enum import EnumMeta
from typing import Any

import typer
import typer.main
from typer._coercion import build_runtime_param

from flowctl.cli import _register_commands, app
from flowctl.cli._coerce import _build, _Plain

SAMPLES: tuple[Any, ...] = ("", "x", "json", "JSON", "table", "yaml", "queued", "bogus", "0", "5", "1000001", " 7 ",
                            "1.5", "-1", "true", "1", "yes", 3, True, False)


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


def test_plain_options_coerce_as_typer_does() -> None:
    light = 0
    for param in _parameters():
        ours, typers = _build(param.type_descriptor), build_runtime_param(param.type_descriptor)
        if not isinstance(ours, _Plain):
            continue
        light += 1
        for value in (*SAMPLES, param.default):
            assert _outcome(ours, value, param) == _outcome(typers, value, param), (param.name, value)
    assert light > 100, "str, bool, enum and parser= options are coerced without pydantic"


def test_other_options_keep_typer_s_coercion() -> None:
    others = [p for p in _parameters() if p.type_descriptor.annotation not in (str, bool)
              and p.type_descriptor.parameter_info.parser is None and not isinstance(p.type_descriptor.annotation, EnumMeta)]
    assert {str(p.type_descriptor.annotation) for p in others} >= {"<class 'pathlib.Path'>", "list[str]"}
    assert not [p.name for p in others if isinstance(_build(p.type_descriptor), _Plain)]


def test_a_value_it_cannot_answer_goes_to_typer() -> None:
    param = next(p for p in _parameters() if p.type_descriptor.annotation is str)
    ours = _build(param.type_descriptor)
    assert _outcome(ours, b"caf\xc3\xa9", param) == _outcome(build_runtime_param(param.type_descriptor),
                                                             b"caf\xc3\xa9", param) == ("value", "café")
