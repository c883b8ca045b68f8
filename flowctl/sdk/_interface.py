"""Typed interfaces from function signatures: inputs from parameters, outputs from the return type."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from flowctl._errors import DiagnosticCollector, FlowctlError
from flowctl.spec._canonical import Json
from flowctl.types import is_namedtuple, to_json_value, type_name, type_spec_of
from flowctl.types._engine import check_type

if TYPE_CHECKING:
    from flowctl.spec import InputSpec, InterfaceSpec, OutputSpec, TypeSpec

OutputStyle = Literal["none", "single", "tuple", "namedtuple"]


@dataclass(frozen=True)
class Param:
    """An input. ``given_spec``: its TypeSpec when the caller has one; else :attr:`spec` derives it
    from ``py_type`` on first use (the decorator checked the type without building the model)."""

    name: str
    py_type: Any
    given_spec: TypeSpec | None = field(default=None, compare=False)
    has_default: bool = False
    default: Any = None
    default_json: Json = None

    @cached_property
    def spec(self) -> TypeSpec:
        return self.given_spec or type_spec_of(self.py_type, where=f"Input `{self.name}`")

    def to_spec(self) -> InputSpec:
        from flowctl.spec import InputSpec

        return InputSpec(name=self.name, type=self.spec, has_default=self.has_default, default=self.default_json)


@dataclass(frozen=True)
class Output:
    """An output; ``given_spec`` as for :class:`Param`."""

    name: str
    py_type: Any
    given_spec: TypeSpec | None = field(default=None, compare=False)

    @cached_property
    def spec(self) -> TypeSpec:
        return self.given_spec or type_spec_of(self.py_type, where=f"Output `{self.name}`")

    def to_spec(self) -> OutputSpec:
        from flowctl.spec import OutputSpec

        return OutputSpec(name=self.name, type=self.spec)


@dataclass(frozen=True)
class Interface:
    """The Python view of an interface (annotations kept, for validation) and its spec."""

    inputs: tuple[Param, ...]
    outputs: tuple[Output, ...]
    style: OutputStyle
    return_type: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.inputs})

    def param(self, name: str) -> Param | None:
        by_name: dict[str, Param] = self.by_name  # type: ignore[attr-defined]
        return by_name.get(name)

    def to_spec(self) -> InterfaceSpec:
        from flowctl.spec import InterfaceSpec

        return InterfaceSpec(
            inputs=tuple(p.to_spec() for p in self.inputs), outputs=tuple(o.to_spec() for o in self.outputs)
        )

    def split_outputs(self, result: Any) -> tuple[Any, ...]:
        """The returned value as one value per output, in order."""
        if self.style == "none":
            return ()
        if self.style == "single":
            return (result,)
        return tuple(result)


def build_interface(
    fn: Callable[..., Any], *, what: str, source: str, diags: DiagnosticCollector
) -> Interface:
    """Read a function's interface; problems go to ``diags`` (``what`` is e.g. "task `mod.fn`")."""
    resolved = True
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # NameError for an unresolvable forward reference, and friends
        diags.add(
            f"Cannot resolve the type annotations of {what}: {exc}",
            "Annotations must name types importable at module level when the decorator runs.",
            source=source,
        )
        hints = {}
        resolved = False
    signature = inspect.signature(fn)
    inputs: list[Param] = []
    for parameter in signature.parameters.values():
        where = f"Input `{parameter.name}` of {what}"
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            diags.add(
                f"{where} is `{'*' if parameter.kind == parameter.VAR_POSITIONAL else '**'}{parameter.name}`",
                "Inputs must be named parameters with a type; *args and **kwargs cannot be typed inputs.",
                source=source,
            )
            continue
        if parameter.name not in hints:
            if resolved:
                diags.add(
                    f"{where} has no type annotation",
                    f"Add one, e.g. `{parameter.name}: int`; flowctl checks and serializes inputs by their types.",
                    source=source,
                )
            continue
        py_type = hints[parameter.name]
        try:
            check_type(py_type, where=where)
        except FlowctlError as exc:
            diags.add(exc.diagnostics[0].summary, exc.diagnostics[0].detail, source=source)
            continue
        if parameter.default is inspect.Parameter.empty:
            inputs.append(Param(parameter.name, py_type))
            continue
        try:
            default_json = to_json_value(parameter.default, py_type)
        except FlowctlError as exc:
            diags.add(
                f"The default of {where[0].lower() + where[1:]} does not match its type `{type_name(py_type)}`",
                exc.diagnostics[0].summary,
                source=source,
            )
            continue
        inputs.append(Param(parameter.name, py_type, None, True, parameter.default, default_json))
    if not resolved:
        return Interface(tuple(inputs), (), "none", None)
    outputs, style, return_type = _outputs(fn, hints, what=what, source=source, diags=diags)
    return Interface(tuple(inputs), outputs, style, return_type)


def _outputs(
    fn: Callable[..., Any], hints: dict[str, Any], *, what: str, source: str, diags: DiagnosticCollector
) -> tuple[tuple[Output, ...], OutputStyle, Any]:
    if "return" not in hints:
        diags.add(
            f"{what[0].upper() + what[1:]} has no return annotation",
            "Add one: `-> None` when it returns nothing, `-> float`, or a NamedTuple for several named outputs.",
            source=source,
        )
        return (), "none", None
    ret = hints["return"]
    if ret is None or ret is type(None):
        return (), "none", None
    if is_namedtuple(ret):
        field_hints = typing.get_type_hints(ret, include_extras=True)
        outputs = []
        for name in ret._fields:
            out = _output(name, field_hints.get(name, Any), what=what, source=source, diags=diags)
            if out is not None:
                outputs.append(out)
        return tuple(outputs), "namedtuple", ret
    if get_origin(ret) is tuple:
        args = get_args(ret)
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            diags.add(
                f"The return type `{type_name(ret)}` of {what} has no fixed number of outputs",
                "Return `tuple[A, B]` for two outputs, a NamedTuple for named outputs, or `list[T]` for one list.",
                source=source,
            )
            return (), "none", None
        tuple_outputs = [_output(f"o{i}", a, what=what, source=source, diags=diags) for i, a in enumerate(args)]
        return tuple(o for o in tuple_outputs if o is not None), "tuple", ret
    single = _output("o0", ret, what=what, source=source, diags=diags)
    return ((single,) if single else ()), "single", ret


def _output(name: str, py_type: Any, *, what: str, source: str, diags: DiagnosticCollector) -> Output | None:
    try:
        check_type(py_type, where=f"Output `{name}` of {what}")
        return Output(name, py_type)
    except FlowctlError as exc:
        diags.add(exc.diagnostics[0].summary, exc.diagnostics[0].detail, source=source)
        return None
