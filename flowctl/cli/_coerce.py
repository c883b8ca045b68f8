"""Option values without pydantic, for the kinds of options flowctl declares.

Typer (0.29) turns every value of an option or argument through a pydantic ``TypeAdapter`` built
on first use (even a flag's ``None``), so any command imports pydantic: a third of the start-up of
``flowctl get projects``. For the plain cases the adapter only wraps a function typer or flowctl
already has: a string stays the string, an enum choice is typer's ``coerce_cli_choice``, an option
with ``parser=`` is that parser, a flag's True/False is never coerced. :func:`install` makes typer
build, for those parameters, a runtime parameter that calls the function directly. Whatever it
cannot answer exactly as the adapter would (a value that fails to parse, a bytes value, a flag set
from an environment variable) goes to typer's own runtime parameter, built then: results and error
messages stay typer's. With a typer that builds no such runtime parameters, it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, get_origin

try:
    import typer.core as typer_core
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice

    _AVAILABLE = hasattr(typer_core, "build_runtime_param")
except ImportError:  # another typer: its own coercion everywhere
    _AVAILABLE = False


def install() -> None:
    """Let typer coerce flowctl's plain options without pydantic (idempotent)."""
    if _AVAILABLE and getattr(typer_core, "build_runtime_param") is build_runtime_param:  # noqa: B009
        setattr(typer_core, "build_runtime_param", _build)  # noqa: B010 - where get_runtime_param looks it up


def _build(descriptor: Any) -> Any:
    if _plain(descriptor):
        return _Plain(descriptor.parameter_info, descriptor.annotation, descriptor)
    return build_runtime_param(descriptor)


def _plain(descriptor: Any) -> bool:
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if descriptor.file_annotation is not None or get_origin(annotation) is not None:
        return False
    return info.parser is not None or annotation in (str, bool) or _is_enum(annotation)


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Enum)


if _AVAILABLE:

    @dataclass(frozen=True)
    class _Plain(RuntimeParam):
        """Coerces what typer's adapter would turn into the same value; hands anything else to it."""

        descriptor: Any = None
        _typer: list[Any] = field(default_factory=list)  # typer's runtime parameter, once needed

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info, annotation = self.parameter_info, self.annotation
            try:
                if info.parser is not None:
                    return info.parser(value)
                if _is_enum(annotation):
                    return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive,
                                             ctx=ctx)
                if annotation is str and isinstance(value, str):
                    return value
            except Exception:  # typer's own coercion, below, raises the error it always raised
                pass
            if not self._typer:
                self._typer.append(build_runtime_param(self.descriptor))
            return self._typer[0]._coerce_value(value, param=param, ctx=ctx)
