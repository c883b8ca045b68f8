"""Option values without pydantic, for the kinds of options flowctl declares.

Typer (0.29) turns every value of an option or argument through a pydantic ``TypeAdapter`` built
on first use (even a flag's ``None``), so any command imports pydantic: a third of the start-up of
``flowctl get projects``. For the plain cases the adapter only wraps a function typer or flowctl
already has: a string stays the string, an enum choice is typer's ``coerce_cli_choice``, an option
with ``parser=`` is that parser, a flag's True/False is never coerced, a ``Path`` is ``Path(value)``
checked by typer's ``coerce_cli_path``, a ``list[str]`` of strings is that list. :func:`install` makes
typer build, for those parameters, a runtime parameter that calls the function directly. Whatever it
cannot answer exactly as the adapter would (a value that fails to parse or to check, a bytes value,
a flag set from an environment variable) goes to typer's own runtime parameter, built then: results
and error messages stay typer's. With a typer that builds no such runtime parameters, it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

try:
    import typer.core as typer_core
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path

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
    if descriptor.file_annotation is not None:
        return False
    if get_origin(annotation) is not None:
        return _is_str_list(annotation, info)
    return info.parser is not None or annotation in (str, bool) or _is_enum(annotation) or _is_path(annotation, info)


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Enum)


def _is_path(annotation: Any, info: Any) -> bool:
    """A ``Path`` option: typer's adapter makes ``Path(value)`` and checks it with ``coerce_cli_path``."""
    return annotation is Path and info.parser is None and info.path_type is None


def _is_str_list(annotation: Any, info: Any) -> bool:
    """A ``list[str]`` option: typer's adapter turns each item into a string (a string stays itself)."""
    return get_origin(annotation) is list and get_args(annotation) == (str,) and info.parser is None


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
                if annotation is Path and (type(value) is str or isinstance(value, Path)):
                    # typer's adapter makes the Path first; its messages name the value given, so a
                    # value that fails a check is left to it, below
                    return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
                if _is_str_list(annotation, info):
                    items = [value] if type(value) is str else value
                    if isinstance(items, list | tuple) and all(type(item) is str for item in items):
                        return list(items)
            except Exception:  # typer's own coercion, below, raises the error it always raised
                pass
            if not self._typer:
                self._typer.append(build_runtime_param(self.descriptor))
            return self._typer[0]._coerce_value(value, param=param, ctx=ctx)
