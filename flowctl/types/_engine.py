"""The type engine: Python annotations -> :class:`TypeSpec`, values <-> canonical JSON values.

Validation and serialization go through pydantic ``TypeAdapter`` objects, built once per type and
cached (building one costs ~100 µs; using one costs ~1 µs for a scalar).
JSON forms: datetimes/dates as ISO 8601 text, timedelta as an ISO 8601 duration, bytes as base64,
enums by value, dataclasses/pydantic models/NamedTuples as objects, files and folders as a path
or URL, data frames (pandas, pyarrow, polars, ``StructuredDataset``) as the URL of a Parquet file
(see ``_frames``).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import math
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard, Union, get_args, get_origin

from flowctl._errors import InputError, ManifestError
from flowctl.spec._canonical import Json
from flowctl.types import _frames as frames
from flowctl.types._files import FlowDirectory, FlowFile
from flowctl.types._structured import StructuredDataset, frame_library

if TYPE_CHECKING:
    from pydantic import BaseModel, TypeAdapter, ValidationError

    from flowctl.spec import TypeSpec

SUPPORTED = (
    "int, float, str, bool, bytes, datetime, date, timedelta, None, list[T], dict[str, T], "
    "Optional[T] / Union[A, B] / A | B, Enum, dataclasses, pydantic models, NamedTuple, "
    "FlowFile, FlowDirectory (FlyteFile, FlyteDirectory), pandas.DataFrame / pyarrow.Table / "
    "polars.DataFrame / StructuredDataset (dataframe extra), typing.Any"
)


class UnsupportedTypeError(ManifestError):
    """A parameter or output is annotated with a type flowctl cannot pass between tasks."""

    code = "USER:UnsupportedType"


class _Unsupported(Exception):
    pass


def type_name(py_type: Any) -> str:
    """A short readable name of an annotation: ``list[float]``, ``Point``, ``int | None``."""
    if isinstance(py_type, type) and not get_args(py_type):
        return py_type.__name__
    if get_origin(py_type) is Annotated:
        return type_name(get_args(py_type)[0])
    return str(py_type).replace("typing.", "").replace("NoneType", "None")


class _Shape:
    """A TypeSpec's fields as plain data: what checking an annotation builds (no pydantic). A plain
    class: a NamedTuple would cost every attempt its ``exec``."""

    __slots__ = ("args", "fields", "kind", "name", "values")

    def __init__(self, kind: str, args: tuple[Any, ...] = (), name: str = "", values: tuple[str, ...] = (),
                 fields: tuple[tuple[str, Any], ...] = ()) -> None:
        self.kind, self.args, self.name, self.values, self.fields = kind, args, name, values, fields

    def _key(self) -> tuple[Any, ...]:
        return (self.kind, self.args, self.name, self.values, self.fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Shape) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"_Shape{self._key()!r}"


def _make_spec(kind: str, **fields: Any) -> TypeSpec:
    from flowctl.spec import TypeSpec

    return TypeSpec(kind=kind, **fields)


def _make_shape(kind: str, **fields: Any) -> _Shape:
    return _Shape(kind, **fields)


def type_spec_of(py_type: Any, *, where: str) -> TypeSpec:
    """The :class:`TypeSpec` of an annotation; ``where`` names the parameter for the error message."""
    result: TypeSpec = _described(py_type, where, _make_spec)
    return result


def check_type(py_type: Any, *, where: str) -> None:
    """Raise what :func:`type_spec_of` raises for an unsupported annotation, without building the
    TypeSpec model (so a decorator need not import pydantic)."""
    _described(py_type, where, _make_shape)


def _described(py_type: Any, where: str, make: Callable[..., Any]) -> Any:
    try:
        try:
            return _cached(py_type, make)
        except TypeError:  # unhashable annotation metadata: compute without the cache
            return _spec(py_type, frozenset(), make)
    except _Unsupported as exc:
        raise UnsupportedTypeError(
            f"{where} has the unsupported type `{type_name(py_type)}`" + (f" ({exc})" if str(exc) else ""),
            detail=f"Supported types: {SUPPORTED}.",
        ) from None


@functools.lru_cache(maxsize=4096)
def _cached(py_type: Any, make: Callable[..., Any]) -> Any:
    return _spec(py_type, frozenset(), make)


_SCALARS: dict[Any, str] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    dt.datetime: "datetime",
    dt.date: "date",
    dt.timedelta: "timedelta",
    FlowFile: "file",
    FlowDirectory: "directory",
}


def _qualified(tp: type) -> str:
    return f"{tp.__module__}.{tp.__qualname__}"


def _is_dataframe(tp: Any) -> bool:
    return frame_library(tp) is not None


def _declared_columns(metadata: tuple[Any, ...]) -> dict[str, Any] | None:
    """Columns declared next to a frame type: ``Annotated[StructuredDataset, kwtypes(a=int)]``."""
    for item in metadata:
        if isinstance(item, dict) and item and all(isinstance(k, str) for k in item):
            return dict(item)
    return None


def _frame_spec(tp: Any, metadata: tuple[Any, ...], seen: frozenset[Any], make: Callable[..., Any]) -> Any:
    columns = _declared_columns(metadata) or {}
    fields = []
    for name, column_type in columns.items():
        try:
            fields.append((name, _spec(column_type, seen, make)))
        except _Unsupported as exc:
            raise _Unsupported(f"column `{name}: {type_name(column_type)}` {exc}".rstrip()) from None
    return make(kind="dataframe", fields=tuple(fields))


def _is_pydantic_model(tp: type) -> TypeGuard[type[BaseModel]]:
    """A pydantic model class; never imports pydantic (a model exists only once pydantic is loaded)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(tp, pydantic.BaseModel)


def is_namedtuple(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields")


def _spec(tp: Any, seen: frozenset[Any], make: Callable[..., Any]) -> Any:
    """The description of ``tp`` built by ``make`` (a TypeSpec, or a _Shape when only checking)."""
    if tp is Any:
        return make(kind="any")
    if tp is None or tp is type(None):
        return make(kind="none")
    kind = _SCALARS.get(tp)
    if kind is not None:
        return make(kind=kind)
    if isinstance(tp, type) and issubclass(tp, FlowFile | FlowDirectory):  # FlowFile["csv"]
        return make(kind="file" if issubclass(tp, FlowFile) else "directory", name=tp.format)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        if _is_dataframe(args[0]):
            return _frame_spec(args[0], tp.__metadata__, seen, make)
        return _spec(args[0], seen, make)
    if origin is list or tp is list:
        if not args:
            raise _Unsupported("give the element type, e.g. list[float]")
        return make(kind="list", args=(_spec(args[0], seen, make),))
    if origin is dict or tp is dict:
        if not args:
            raise _Unsupported("give key and value types, e.g. dict[str, int]")
        if args[0] is not str:
            raise _Unsupported("dictionary keys must be str")
        return make(kind="map", args=(_spec(args[1], seen, make),))
    if origin is Union or origin is types.UnionType:
        variants: list[Any] = []
        for arg in args:
            spec = _spec(arg, seen, make)
            for variant in spec.args if spec.kind == "union" else (spec,):
                if variant not in variants:
                    variants.append(variant)
        return make(kind="union", args=tuple(variants))
    if not isinstance(tp, type):
        raise _Unsupported("")
    if tp in seen:
        raise _Unsupported(f"`{tp.__name__}` refers to itself; recursive types are not supported")
    if issubclass(tp, enum.Enum):
        return make(kind="enum", name=_qualified(tp), values=tuple(str(m.value) for m in tp))
    if _is_dataframe(tp):
        return _frame_spec(tp, (), seen, make)
    inner = seen | {tp}
    if hasattr(tp, "__dataclass_fields__"):  # a dataclass: its module imported dataclasses already
        import dataclasses

        if dataclasses.is_dataclass(tp):
            hints = typing.get_type_hints(tp, include_extras=True)
            fields = tuple((f.name, _field_spec(tp, f.name, hints[f.name], inner, make)) for f in dataclasses.fields(tp))
            return make(kind="struct", name=_qualified(tp), fields=fields)
    if _is_pydantic_model(tp):
        fields = tuple(
            (name, _field_spec(tp, name, info.annotation, inner, make)) for name, info in tp.model_fields.items()
        )
        return make(kind="struct", name=_qualified(tp), fields=fields)
    if is_namedtuple(tp):
        names: tuple[str, ...] = tp._fields  # type: ignore[attr-defined]
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = tuple((name, _field_spec(tp, name, hints[name], inner, make)) for name in names)
        return make(kind="struct", name=_qualified(tp), fields=fields)
    raise _Unsupported("")


def _field_spec(owner: type, name: str, annotation: Any, seen: frozenset[Any], make: Callable[..., Any]) -> Any:
    try:
        return _spec(annotation, seen, make)
    except _Unsupported as exc:
        raise _Unsupported(f"field `{owner.__name__}.{name}: {type_name(annotation)}` {exc}".rstrip()) from None


# ---------------------------------------------------------------- adapters
def _b64_encode(value: bytes) -> str:
    import base64  # bytes are rare in an attempt: do not load base64 for every one

    return base64.b64encode(value).decode("ascii")


def _b64_decode(value: Any) -> Any:
    if isinstance(value, str):
        import base64
        import binascii

        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(f"bytes are given as base64 text in JSON: {exc}") from None
    return value


@functools.cache
def _json_bytes() -> Any:
    from pydantic import BeforeValidator, PlainSerializer

    return Annotated[bytes, BeforeValidator(_b64_decode), PlainSerializer(_b64_encode, when_used="json")]


def _df_validator(tp: Any, columns: tuple[str, ...]) -> Callable[[Any], Any]:
    """A frame of the annotated type from a frame of any library, a StructuredDataset, the URL of a
    Parquet file or a list of row objects; declared ``columns`` select what is kept."""
    library = frame_library(tp)
    assert library is not None

    def validate(value: Any) -> Any:
        if library == "structured":
            return _to_structured(value, columns)
        if isinstance(value, StructuredDataset):
            value = value.with_columns(columns).open(tp).all()
        elif isinstance(value, str):
            return frames.read_parquet(value, library, columns)
        elif isinstance(value, list):
            value = frames.rows_to_frame(value, library)
        elif frame_library(type(value)) is None:
            raise ValueError(f"expected a {tp.__name__}, the URL of a Parquet file or a list of rows, got {type(value).__name__}")
        value = frames.convert(value, library)
        return frames.select_columns(value, columns) if columns else value

    return validate


def _to_structured(value: Any, columns: tuple[str, ...]) -> StructuredDataset:
    if isinstance(value, StructuredDataset):
        return value.with_columns(columns) if columns else value
    if isinstance(value, str):
        return StructuredDataset(uri=value, columns=columns)
    if isinstance(value, list):
        return StructuredDataset(frames.rows_to_frame(value, "pyarrow"), columns=columns)
    if frame_library(type(value)) in ("pandas", "pyarrow", "polars"):
        return StructuredDataset(value, columns=columns)
    raise ValueError(f"expected a StructuredDataset, a frame, or the URL of a Parquet file, got {type(value).__name__}")


def _df_serialize(value: Any) -> Json:
    """The URL of the frame's Parquet file, written under the frame location."""
    if isinstance(value, StructuredDataset):
        return value.store()
    return frames.write_parquet(value)


def _frame_type(tp: Any, metadata: tuple[Any, ...]) -> Any:
    from pydantic import PlainSerializer, PlainValidator

    columns = tuple(_declared_columns(metadata) or ())
    return Annotated[Any, PlainValidator(_df_validator(tp, columns)), PlainSerializer(_df_serialize, when_used="json")]


def _json_type(tp: Any) -> Any:
    """Rewrite an annotation so pydantic uses flowctl's JSON forms (base64 bytes, data frames)."""
    if tp is bytes:
        return _json_bytes()
    if _is_dataframe(tp):
        return _frame_type(tp, ())
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Annotated:
        if _is_dataframe(args[0]):
            return _frame_type(args[0], tp.__metadata__)
        return Annotated[(_json_type(args[0]), *tp.__metadata__)]
    if origin is list and args:
        return types.GenericAlias(list, (_json_type(args[0]),))
    if origin is dict and len(args) == 2:
        return types.GenericAlias(dict, (args[0], _json_type(args[1])))
    if (origin is Union or origin is types.UnionType) and args:
        return Union[tuple(_json_type(a) for a in args)]  # noqa: UP007
    return tp


@functools.lru_cache(maxsize=4096)
def adapter_for(py_type: Any) -> TypeAdapter[Any]:
    """The cached pydantic adapter of an annotation (with flowctl's JSON forms)."""
    from pydantic import TypeAdapter

    return TypeAdapter(_json_type(py_type))


def _adapter(py_type: Any) -> TypeAdapter[Any]:
    try:
        return adapter_for(py_type)
    except TypeError:
        from pydantic import TypeAdapter

        return TypeAdapter(_json_type(py_type))


# Values of these exact types are their own JSON value and pass their annotation's validation as
# they are (what pydantic returns for them too), so the common scalar case skips pydantic: an
# attempt that moves ints and strings never imports it. Everything else goes through an adapter.
_PLAIN = frozenset({int, str, bool})


def _plain(value: Any, py_type: Any) -> bool:
    kind = type(value)
    if kind is py_type and kind in _PLAIN:
        return True
    return kind is float and py_type is float and math.isfinite(value)


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in error["loc"])
        lines.append(f"{loc}: {error['msg']}" if loc else error["msg"])
    return "\n".join(lines[:10]) + ("\n..." if len(lines) > 10 else "")


def validate_value(value: Any, py_type: Any, *, where: str = "value") -> Any:
    """Check a Python value produced by user code against its annotation (strict: no str -> int)."""
    if _plain(value, py_type):
        return value
    from pydantic import ValidationError

    try:
        return _adapter(py_type).validate_python(value, strict=True)
    except ValidationError as exc:
        raise InputError(
            f"{where}: expected `{type_name(py_type)}`, got {_short_repr(value)}", detail=_explain(exc)
        ) from None


def to_json_value(value: Any, py_type: Any) -> Json:
    """Validate ``value`` against ``py_type`` and return its canonical JSON value."""
    if _plain(value, py_type):
        return value
    from pydantic import ValidationError

    adapter = _adapter(py_type)
    try:
        valid = adapter.validate_python(value)
    except ValidationError as exc:
        raise InputError(f"expected `{type_name(py_type)}`, got {_short_repr(value)}", detail=_explain(exc)) from None
    return adapter.dump_python(valid, mode="json")


def from_json_value(data: Json, py_type: Any) -> Any:
    """The Python value of a JSON value for ``py_type`` (validated)."""
    if _plain(data, py_type):
        return data
    from pydantic import ValidationError

    try:
        return _adapter(py_type).validate_python(data)
    except ValidationError as exc:
        raise InputError(f"expected `{type_name(py_type)}`, got {_short_repr(data)}", detail=_explain(exc)) from None


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------- TypeSpec-only validation
def validate_json_against(spec: TypeSpec, data: Json, *, where: str = "value") -> None:
    """Check a JSON value against a :class:`TypeSpec` alone (no Python type at hand); raise InputError."""
    problems = list(_check(spec, data, where))
    if problems:
        raise InputError(f"{where} is not a valid `{spec}`", detail="\n".join(problems[:10]))


_TEMPORAL: dict[str, TypeAdapter[Any]] = {}


def _temporal_ok(kind: str, data: Any) -> bool:
    if not isinstance(data, str):
        return False
    from pydantic import TypeAdapter, ValidationError

    adapter = _TEMPORAL.get(kind)
    if adapter is None:
        adapter = _TEMPORAL[kind] = TypeAdapter({"datetime": dt.datetime, "date": dt.date, "timedelta": dt.timedelta}[kind])
    try:
        adapter.validate_python(data)
    except ValidationError:
        return False
    return True


def _check(spec: TypeSpec, data: Json, path: str) -> Iterator[str]:
    kind = spec.kind
    ok = True
    if kind == "any":
        return
    if kind == "none":
        ok = data is None
    elif kind == "bool":
        ok = isinstance(data, bool)
    elif kind == "int":
        ok = isinstance(data, int) and not isinstance(data, bool)
    elif kind == "float":
        ok = isinstance(data, int | float) and not isinstance(data, bool) and _finite(data)
    elif kind in ("str", "file", "directory"):
        ok = isinstance(data, str)
    elif kind == "bytes":
        ok = isinstance(data, str) and _b64_ok(data)
    elif kind in ("datetime", "date", "timedelta"):
        ok = _temporal_ok(kind, data)
    elif kind == "enum":
        ok = not isinstance(data, dict | list) and data is not None and str(data) in spec.values
    elif kind == "dataframe":  # the URL of a Parquet file, or rows
        ok = isinstance(data, str) or (isinstance(data, list) and all(isinstance(row, dict) for row in data))
    elif kind == "list":
        if not isinstance(data, list):
            ok = False
        else:
            for i, item in enumerate(data):
                yield from _check(spec.args[0], item, f"{path}[{i}]")
    elif kind == "map":
        if not isinstance(data, dict):
            ok = False
        else:
            for key, item in data.items():
                yield from _check(spec.args[0], item, f"{path}[{key!r}]")
    elif kind == "union":
        ok = any(not list(_check(variant, data, path)) for variant in spec.args)
    elif kind == "struct":
        if not isinstance(data, dict | list):
            ok = False
        elif isinstance(data, dict):
            fields = dict(spec.fields)
            for key, item in data.items():
                if key not in fields:
                    yield f"{path}: unknown field `{key}` (fields: {', '.join(fields)})"
                else:
                    yield from _check(fields[key], item, f"{path}.{key}")
    if not ok:
        yield f"{path}: expected {spec}, got {_short_repr(data)}"


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(number)
    except OverflowError:  # an int too large for a float
        return False


def _b64_ok(text: str) -> bool:
    import base64
    import binascii

    try:
        base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return True
