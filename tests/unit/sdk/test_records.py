"""``@record`` (flowctl._record) behaves as ``@dataclass`` for everything the SDK's value classes use,
and the code-reading helpers that replace ``inspect`` on the attempt path agree with ``inspect``."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import pickle
from collections.abc import Callable, Iterator
from dataclasses import InitVar
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import pytest

from flowctl._errors import Diagnostic, DiagnosticCollector
from flowctl._record import field as record_field
from flowctl._record import record
from flowctl.sdk import Resources, Secret, TaskDefinition
from flowctl.sdk._interface import NO_DEFAULT, parameters
from flowctl.sdk._source import function_location
from flowctl.sdk._task import _is_async_or_generator


def _point(decorator: Callable[..., Any], field: Callable[..., Any], **options: Any) -> Any:
    """The same class body under ``@dataclass(**options)`` or ``@record(**options)``."""

    @decorator(**options)
    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: list[str] = field(default_factory=list)
        note: str = field(default="", compare=False)
        kind: ClassVar[str] = "point"

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("x < 0")

    return Point


BOTH = [
    pytest.param({"frozen": True}, id="frozen"),
    pytest.param({}, id="mutable"),
    pytest.param({"frozen": True, "eq": False}, id="frozen-no-eq"),
]


@pytest.mark.parametrize("options", BOTH)
def test_a_record_is_built_as_the_dataclass_of_the_same_body(options: dict[str, Any]) -> None:
    dc, rec = _point(dataclasses.dataclass, dataclasses.field, **options), _point(record, record_field, **options)
    assert str(inspect.signature(rec)) == str(inspect.signature(dc))
    assert rec.__match_args__ == dc.__match_args__ == ("x", "y", "tags", "note")
    assert rec.kind == "point" and not hasattr(rec, "tags") and rec.y == dc.y == 0  # class attributes as a dataclass's
    a, b = rec(1, 2, ["t"], "n"), dc(1, 2, ["t"], "n")
    assert repr(a) == repr(b) == "_point.<locals>.Point(x=1, y=2, tags=['t'], note='n')"
    assert rec(1).tags is not rec(1).tags  # a fresh default per instance
    with pytest.raises(ValueError, match="x < 0"):
        rec(-1)
    for bad in ({"z": 2}, {"x": 1, "y": 2, "tags": [], "note": "", "extra": 1}, {}):
        with pytest.raises(TypeError) as rec_error:
            rec(**bad)
        with pytest.raises(TypeError) as dc_error:
            dc(**bad)
        assert str(rec_error.value) == str(dc_error.value)


@pytest.mark.parametrize("options", BOTH)
def test_equality_and_hashing_follow_the_dataclass_rules(options: dict[str, Any]) -> None:
    dc, rec = _point(dataclasses.dataclass, dataclasses.field, **options), _point(record, record_field, **options)
    for cls in (dc, rec):
        same = cls(1, 2, note="a") == cls(1, 2, note="b")  # note is not compared
        assert same is options.get("eq", True)
        assert (cls(1) == cls(2)) is False and (cls(1) == (1, 0, [], "")) is False
    if "frozen" in options and options.get("eq", True):
        assert hash(rec(1, 2, ())) == hash(dc(1, 2, ())) == hash(rec(1, 2, (), note="x"))
        for cls in (dc, rec):
            with pytest.raises(TypeError, match="unhashable type: 'list'"):
                hash(cls(1))
    elif options.get("eq", True):
        assert rec.__hash__ is None and dc.__hash__ is None
    else:
        assert rec.__hash__ is object.__hash__ and dc.__hash__ is object.__hash__


def test_a_frozen_record_refuses_assignment_as_a_frozen_dataclass() -> None:
    rec = _point(record, record_field, frozen=True)
    point = rec(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'x'"):
        point.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'y'"):
        del point.y
    object.__setattr__(point, "x", 3)  # what __post_init__ methods do
    assert point.x == 3
    dc = _point(dataclasses.dataclass, dataclasses.field, frozen=True)
    for cls in (rec, dc):
        with pytest.raises(AttributeError, match="cannot assign to field 'other'"):
            cls(1).other = 1  # nor any other attribute of the class itself

        class Plain(cls):  # type: ignore[misc,valid-type]  # a subclass's own attributes are its own
            pass

        plain = Plain(1)
        plain.other = 1
        with pytest.raises(AttributeError, match="cannot assign to field 'x'"):
            plain.x = 2


def test_a_frozen_record_may_cache_properties_and_its_class_body_keeps_its_own_methods() -> None:
    @record(frozen=True)
    class Square:
        side: int

        @cached_property
        def area(self) -> int:
            return self.side * self.side

        def __repr__(self) -> str:
            return f"<square {self.side}>"

    square = Square(3)
    assert square.area == 9 and square.__dict__["area"] == 9 and repr(square) == "<square 3>"


def test_record_declarations_dataclasses_refuse_are_refused() -> None:
    with pytest.raises(ValueError, match="mutable default <class 'list'> for field items is not allowed"):
        @record
        class Bad:
            items: list[int] = []

    with pytest.raises(TypeError, match="does not support InitVar"):
        @record
        class Init:
            a: InitVar[int]

    frozen = _point(record, record_field, frozen=True)
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        @record
        class Thawed(frozen):  # type: ignore[misc,valid-type]
            pass

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @record
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]


def test_the_dataclass_functions_work_on_records() -> None:
    diagnostic = Diagnostic("summary", "detail", source="a.py:1")
    moved = dataclasses.replace(diagnostic, source="b.py:2")
    assert moved == Diagnostic("summary", "detail", source="b.py:2") and moved != diagnostic
    assert dataclasses.is_dataclass(Diagnostic) and dataclasses.is_dataclass(diagnostic)
    assert [f.name for f in dataclasses.fields(Diagnostic)] == ["summary", "detail", "source", "address", "severity"]
    assert dataclasses.asdict(Resources(cpu="1", mem="2Gi")) == {"cpu": "1", "mem": "2Gi", "gpu": None,
                                                                 "ephemeral_storage": None}
    assert dataclasses.asdict(DiagnosticCollector([diagnostic]))["diagnostics"][0]["source"] == "a.py:1"
    assert pickle.loads(pickle.dumps(Secret(group="db", key="pw"))) == Secret(group="db", key="pw")
    names = [f.name for f in dataclasses.fields(TaskDefinition)]
    assert names[:3] == ["function", "name", "module"] and names[-1] == "image_spec"


def test_a_dataclass_may_extend_a_record() -> None:
    base = _point(record, record_field, frozen=True)

    @dataclasses.dataclass(frozen=True)
    class Labelled(base):  # type: ignore[misc,valid-type]
        label: str = "p"

    labelled = Labelled(1, 2, label="q")
    assert repr(labelled).endswith("Labelled(x=1, y=2, tags=[], note='', label='q')")
    assert dataclasses.replace(labelled, y=5) == Labelled(1, 5, label="q")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        labelled.label = "r"  # type: ignore[misc]
    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        @dataclasses.dataclass
        class Thawed(base):  # type: ignore[misc,valid-type]
            pass


# ---------------------------------------------------------------- inspect, without inspect
def _plain(a: int, b: str = "b", /, c: float = 1.0, *rest: int, d: int, e: int = 5, **more: int) -> None: ...


def _only_keywords(*, key: str = "k") -> None: ...


def _none() -> None: ...


def _wrapped(x: int, y: int = 2) -> int:
    return x + y


@functools.wraps(_wrapped)
def _wrapper(*args: Any, **kwargs: Any) -> int:
    return _wrapped(*args, **kwargs)


class _Callable:
    def __call__(self, x: int) -> int:
        return x


@pytest.mark.parametrize("fn", [_plain, _only_keywords, _none, _wrapper, _Callable(), lambda q, r=1: q])
def test_parameters_are_what_inspect_signature_says(fn: Callable[..., Any]) -> None:
    stars: dict[Any, str] = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    expected = [(p.name, stars.get(p.kind, ""), NO_DEFAULT if p.default is p.empty else p.default)
                for p in inspect.signature(fn).parameters.values()]
    assert parameters(fn) == expected


def _generator() -> Iterator[int]:
    yield 1


async def _coroutine() -> int:
    return 1


async def _async_generator() -> Any:
    yield 1


@pytest.mark.parametrize("fn", [_plain, _generator, _coroutine, _async_generator])
def test_async_and_generator_functions_are_told_as_inspect_tells_them(fn: Any) -> None:
    assert _is_async_or_generator(fn) == (inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn))


def test_the_def_line_is_found_past_decorators_in_any_ascii_compatible_encoding(tmp_path: Path) -> None:
    module = tmp_path / "located.py"
    module.write_bytes("# -*- coding: latin-1 -*-\n'''caf\xe9'''\nimport functools\n\n\n@functools.cache\n"
                       "@functools.cache\ndef f():\n    return 1\n".encode("latin-1"))
    namespace: dict[str, Any] = {}
    exec(compile(module.read_bytes(), str(module), "exec"), namespace)
    assert function_location(namespace["f"].__wrapped__.__wrapped__) == (str(module), 8)
    assert function_location(_plain) == (__file__, inspect.getsourcelines(_plain)[1])

