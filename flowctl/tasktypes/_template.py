"""Flyte-style templates in container commands: ``{{ .inputs.x }}``, ``{{ .inputs_dir }}``, ``{{ .outputs_dir }}``.

The leading dot and the spaces are optional (``{{.inputs.x}}`` works too). Anything else between
``{{`` and ``}}`` is an unknown variable: a compile error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"\{\{\s*\.?\s*([^{}]*?)\s*\}\}")
_INPUT = re.compile(r"^inputs\.([A-Za-z_][A-Za-z0-9_]*)$")
DIR_VARIABLES = ("inputs_dir", "outputs_dir")


@dataclass(frozen=True)
class Reference:
    """One ``{{ ... }}`` found in a template; ``where`` says which part (``command[0]``, ``arguments[2]``)."""

    text: str  # the variable as written, without braces and dot: "inputs.x"
    where: str

    @property
    def input_name(self) -> str | None:
        match = _INPUT.match(self.text)
        return match.group(1) if match else None


def references(parts: Iterable[tuple[str, str]]) -> list[Reference]:
    """Every variable used in ``(where, text)`` parts, in order."""
    return [Reference(m.group(1), where) for where, text in parts for m in _VARIABLE.finditer(text)]


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace every variable by ``values[variable]``; KeyError for an unknown one (checked at compile time)."""
    return _VARIABLE.sub(lambda m: values[m.group(1)], text)
