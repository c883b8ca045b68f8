"""Typed interfaces from function signatures: inputs from parameters, outputs from the return type."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from flowctl._errors import DiagnosticCollector, FlowctlError
from flowctl._record import field, record
from flowctl.spec._canonical import Json
from flowctl.types import is_namedtuple, to_json_value, type_name, type_spec_of
from flowctl.types._engine import check_type

if TYPE_CHECKING:
    from flowctl.spec import InputSpec, InterfaceSpec, OutputSpec, TypeSpec

OutputStyle = Literal["none", "single", "tuple", "namedtuple"]


@record(frozen=True)
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


@record(frozen=True)
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


@record(frozen=True)
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


NO_DEFAULT: Any = object()  # a parameter without a default (inspect.Parameter.empty)
_CO_VARARGS, _CO_VARKEYWORDS = 0x04, 0x08  # inspect.CO_VARARGS, inspect.CO_VARKEYWORDS


def parameters(fn: Callable[..., Any]) -> list[tuple[str, str, Any]]:
    """``(name, "" | "*" | "**", default or NO_DEFAULT)`` of each parameter, in ``inspect.signature``
    order. A plain function is read from its code, defaults and keyword defaults (``inspect`` costs an
    attempt ~5 ms of imports); anything else (a ``__wrapped__`` or ``__signature__``, a callable
    object) is asked of ``inspect.signature``."""
    if type(fn) is not types.FunctionType or hasattr(fn, "__wrapped__") or hasattr(fn, "__signature__"):
        import inspect

        stars: dict[Any, str] = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
        return [(p.name, stars.get(p.kind, ""), NO_DEFAULT if p.default is p.empty else p.default)
                for p in inspect.signature(fn).parameters.values()]
    code = fn.__code__
    names = code.co_varnames
    positional, keyword_only = code.co_argcount, code.co_kwonlyargcount
    defaults = fn.__defaults__ or ()
    first_default = positional - len(defaults)
    found = [(names[i], "", defaults[i - first_default] if i >= first_default else NO_DEFAULT)
             for i in range(positional)]
    index = positional + keyword_only
    if code.co_flags & _CO_VARARGS:
        found.append((names[index], "*", NO_DEFAULT))
        index += 1
    keyword_defaults = fn.__kwdefaults__ or {}
    found.extend((name, "", keyword_defaults.get(name, NO_DEFAULT)) for name in names[positional:positional + keyword_only])
    if code.co_flags & _CO_VARKEYWORDS:
        found.append((names[index], "**", NO_DEFAULT))
    return found


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
    inputs: list[Param] = []
    for name, star, default in parameters(fn):
        where = f"Input `{name}` of {what}"
        if star:
            diags.add(
                f"{where} is `{star}{name}`",
                "Inputs must be named parameters with a type; *args and **kwargs cannot be typed inputs.",
                source=source,
            )
            continue
        if name not in hints:
            if resolved:
                diags.add(
                    f"{where} has no type annotation",
                    f"Add one, e.g. `{name}: int`; flowctl checks and serializes inputs by their types.",
                    source=source,
                )
            continue
        py_type = hints[name]
        try:
            check_type(py_type, where=where)
        except FlowctlError as exc:
            diags.add(exc.diagnostics[0].summary, exc.diagnostics[0].detail, source=source)
            continue
        if default is NO_DEFAULT:
            inputs.append(Param(name, py_type))
            continue
        try:
            default_json = to_json_value(default, py_type)
        except FlowctlError as exc:
            diags.add(
                f"The default of {where[0].lower() + where[1:]} does not match its type `{type_name(py_type)}`",
                exc.diagnostics[0].summary,
                source=source,
            )
            continue
        inputs.append(Param(name, py_type, None, True, default, default_json))
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
