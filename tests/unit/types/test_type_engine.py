"""The type engine: TypeSpecs of annotations, canonical JSON round trips, CLI values, validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from typing import Any, NamedTuple, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from flowctl._errors import InputError, ManifestError
from flowctl.spec import TypeSpec, canonical_json, is_assignable
from flowctl.types import (
    FlowDirectory,
    FlowFile,
    from_json_value,
    parse_cli_value,
    to_json_value,
    type_spec_of,
    validate_json_against,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Point:
    x: float
    y: float
    tag: str = ""


class Model(BaseModel):
    name: str
    scores: list[int]


class Pair(NamedTuple):
    a: int
    b: str


def test_scalar_and_container_specs() -> None:
    assert type_spec_of(int, where="x") == TypeSpec(kind="int")
    assert str(type_spec_of(list[float], where="x")) == "list[float]"
    assert str(type_spec_of(dict[str, list[int]], where="x")) == "dict[str, list[int]]"
    assert str(type_spec_of(Optional[int], where="x")) == "int | none"  # noqa: UP045
    assert type_spec_of(int | None, where="x") == type_spec_of(Union[int, None], where="x")  # noqa: UP007
    assert type_spec_of(Color, where="x").values == ("red", "green")
    point = type_spec_of(Point, where="x")
    assert point.kind == "struct" and [n for n, _ in point.fields] == ["x", "y", "tag"]
    assert type_spec_of(Model, where="x").kind == "struct"
    assert type_spec_of(Pair, where="x").kind == "struct"
    assert type_spec_of(FlowFile, where="x").kind == "file"
    assert type_spec_of(FlowDirectory, where="x").kind == "directory"


@pytest.mark.parametrize("bad", [set[int], dict[int, str], list, tuple[int, ...], complex])
def test_unsupported_type_names_the_parameter(bad: Any) -> None:
    with pytest.raises(ManifestError) as info:
        type_spec_of(bad, where="Input `values` of task `m.f`")
    assert "Input `values` of task `m.f`" in str(info.value)
    assert "Supported types" in str(info.value)


def test_json_forms() -> None:
    assert to_json_value(b"\xff\x00", bytes) == "/wA="
    assert from_json_value("/wA=", bytes) == b"\xff\x00"
    assert to_json_value(dt.timedelta(hours=1), dt.timedelta) == "PT1H"
    assert to_json_value(dt.date(2024, 2, 29), dt.date) == "2024-02-29"
    assert to_json_value(Color.RED, Color) == "red"
    assert to_json_value(Point(1, 2), Point) == {"x": 1.0, "y": 2.0, "tag": ""}
    assert to_json_value(FlowFile("data.csv"), FlowFile) == "data.csv"
    assert from_json_value("s3://b/k", FlowFile) == FlowFile("s3://b/k")
    with pytest.raises(InputError, match="expected `int`"):
        to_json_value("x", int)


def test_parse_cli_value() -> None:
    assert parse_cli_value("[1.0,2]", list[float], name="values") == [1.0, 2.0]
    assert parse_cli_value("hello", str, name="s") == "hello"
    assert parse_cli_value("3", int, name="n") == 3
    assert parse_cli_value("true", bool, name="b") is True
    assert parse_cli_value("red", Color, name="c") is Color.RED
    assert parse_cli_value('{"x": 1, "y": 2}', Point, name="p") == Point(1.0, 2.0)
    assert parse_cli_value("2024-01-02T03:04:05", dt.datetime, name="t") == dt.datetime(2024, 1, 2, 3, 4, 5)
    with pytest.raises(InputError, match="not valid JSON"):
        parse_cli_value("[1,", list[int], name="values")
    with pytest.raises(InputError, match="--n"):
        parse_cli_value("abc", int, name="n")


def test_validate_json_against_reports_paths() -> None:
    spec = type_spec_of(list[Point], where="x")
    validate_json_against(spec, [{"x": 1, "y": 2.5}])
    with pytest.raises(InputError) as info:
        validate_json_against(spec, [{"x": "a", "z": 1}], where="input `points`")
    text = str(info.value)
    assert "input `points`[0].x: expected float" in text and "unknown field `z`" in text
    validate_json_against(type_spec_of(Optional[int], where="x"), None)  # noqa: UP045
    with pytest.raises(InputError):
        validate_json_against(type_spec_of(int, where="x"), True)
    with pytest.raises(InputError):
        validate_json_against(type_spec_of(dt.datetime, where="x"), "not a time")


# ---------------------------------------------------------------- property tests
def _types() -> st.SearchStrategy[tuple[Any, st.SearchStrategy[Any]]]:
    """Pairs of (annotation, strategy of values of it), nested."""
    floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
    scalars = st.sampled_from(
        [
            (int, st.integers(-(2**53), 2**53)),
            (float, floats),
            (str, st.text(max_size=8)),
            (bool, st.booleans()),
            (bytes, st.binary(max_size=8)),
            (dt.date, st.dates()),
            (dt.datetime, st.datetimes()),
            (dt.timedelta, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=999))),
            (Color, st.sampled_from(Color)),
            (Point, st.builds(Point, x=floats, y=floats, tag=st.text(max_size=4))),
        ]
    )

    def extend(inner: st.SearchStrategy[tuple[Any, st.SearchStrategy[Any]]]) -> st.SearchStrategy[tuple[Any, Any]]:
        return st.one_of(
            inner.map(lambda p: (list[p[0]], st.lists(p[1], max_size=4))),  # type: ignore[name-defined]
            inner.map(lambda p: (dict[str, p[0]], st.dictionaries(st.text(max_size=4), p[1], max_size=3))),  # type: ignore[name-defined]
            inner.map(lambda p: (Optional[p[0]], st.none() | p[1])),  # noqa: UP045
        )

    return st.recursive(scalars, extend, max_leaves=4)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_round_trip_of_generated_types(data: st.DataObject) -> None:
    py_type, values = data.draw(_types())
    value = data.draw(values)
    encoded = to_json_value(value, py_type)
    text = canonical_json(encoded)  # canonical JSON text exists
    assert from_json_value(json.loads(text), py_type) == value
    validate_json_against(type_spec_of(py_type, where="x"), encoded)


_spec_strategy = st.recursive(
    st.sampled_from([TypeSpec(kind=k) for k in ("int", "float", "str", "bool", "none", "datetime")]),
    lambda inner: st.one_of(
        inner.map(lambda t: TypeSpec(kind="list", args=(t,))),
        inner.map(lambda t: TypeSpec(kind="map", args=(t,))),
        st.lists(inner, min_size=2, max_size=3).map(lambda ts: TypeSpec(kind="union", args=tuple(ts))),
    ),
    max_leaves=4,
)


@settings(max_examples=200, deadline=None)
@given(_spec_strategy, _spec_strategy)
def test_assignability_rules(a: TypeSpec, b: TypeSpec) -> None:
    assert is_assignable(a, a)
    assert is_assignable(a, TypeSpec(kind="any"))
    union = TypeSpec(kind="union", args=(a, b))
    assert is_assignable(a, union) and is_assignable(b, union)
    assert is_assignable(TypeSpec(kind="list", args=(a,)), TypeSpec(kind="list", args=(union,)))
    if is_assignable(a, b) and not is_assignable(b, a):
        assert a != b


def test_int_to_float_but_not_back() -> None:
    i, f = type_spec_of(int, where="x"), type_spec_of(float, where="x")
    assert is_assignable(i, f) and not is_assignable(f, i)
    assert not is_assignable(type_spec_of(Optional[int], where="x"), i)  # noqa: UP045


def test_float_json_is_finite() -> None:
    assert math.isfinite(to_json_value(1.5, float))
