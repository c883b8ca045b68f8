"""``@record``: the dataclasses of the attempt path, without importing ``dataclasses`` (issue 13).

An attempt process (a pod, a fresh local interpreter) imports ``flowctl._errors``, the ``@task``
decorator and the value types once per task run. ``dataclasses`` costs it ~8 ms (it imports
``inspect``, hence ``ast``, ``dis`` and ``tokenize``) and every class ~0.6 ms (one ``exec`` per
generated method). ``@record`` / ``@record(frozen=True, eq=False)`` builds the same class with one
``exec`` (``__init__``) and shared ``__repr__``, ``__eq__``, ``__hash__`` and frozen ``__setattr__``:

* ``__init__(fields...)`` in declaration order (bases' fields first), ``field(default=...,
  default_factory=..., repr=..., compare=..., hash=...)``, then ``__post_init__`` if the class has one;
* ``__repr__``, ``__eq__`` (same class: the tuples of compared fields), ``__hash__`` (frozen and eq:
  of the compared fields; eq and not frozen: unhashable), frozen ``__setattr__``/``__delattr__``
  raising ``dataclasses.FrozenInstanceError``, ``__match_args__``; a method the class
  body defines is kept, as ``dataclasses`` does;
* the dataclass protocol: ``__dataclass_fields__`` and ``__dataclass_params__`` are built (importing
  ``dataclasses``) on first use, so ``dataclasses.fields``, ``replace``, ``asdict``, ``is_dataclass``
  and ``@dataclass`` subclasses work on a record as on a dataclass.

Not supported (no class here uses them; the first two are refused): ``InitVar``, ``KW_ONLY``,
``init=False`` fields, ``order``, ``slots``, a generated ``__doc__``.
"""

from __future__ import annotations

import reprlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")
_C = TypeVar("_C", bound=type)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


class _Factory:
    def __repr__(self) -> str:  # how a signature shows a field with a default_factory, as a dataclass's
        return "<factory>"


MISSING: Any = _Missing()
_HAS_FACTORY: Any = _Factory()
META = "__record__"


class Field:
    """One field: its name, annotation (text) and what ``field(...)`` said of it."""

    __slots__ = ("compare", "default", "default_factory", "hash", "name", "repr", "type")

    def __init__(self, default: Any, default_factory: Any, repr: bool, compare: bool, hash: bool | None) -> None:
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare
        self.hash = hash

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


@overload
def field(*, default: _T, repr: bool = True, compare: bool = True, hash: bool | None = None) -> _T: ...


@overload
def field(*, default_factory: Callable[[], _T], repr: bool = True, compare: bool = True,
          hash: bool | None = None) -> _T: ...


@overload
def field(*, repr: bool = True, compare: bool = True, hash: bool | None = None) -> Any: ...


def field(*, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True, compare: bool = True,
          hash: bool | None = None) -> Any:
    """As ``dataclasses.field`` (the options the records use)."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, repr, compare, hash)


@overload
def record(cls: _C, /) -> _C: ...


@overload
def record(*, frozen: bool = False, eq: bool = True) -> Callable[[_C], _C]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: Any = None, /, *, frozen: bool = False, eq: bool = True) -> Any:
    """``@record`` or ``@record(frozen=True, eq=False)``: a dataclass without ``dataclasses``."""
    if cls is None:
        return lambda klass: _process(klass, frozen, eq)
    return _process(cls, frozen, eq)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    typing = sys.modules.get("typing")
    return typing is not None and (annotation is typing.ClassVar or getattr(annotation, "__origin__", None) is typing.ClassVar)


class _Meta:
    """What ``@record`` made of a class: its fields and the names each generated method reads."""

    __slots__ = ("compared", "eq", "fields", "frozen", "hashed", "shown")

    def __init__(self, fields: tuple[Field, ...], frozen: bool, eq: bool) -> None:
        self.fields, self.frozen, self.eq = fields, frozen, eq
        self.shown = tuple(f.name for f in fields if f.repr)
        self.compared = tuple(f.name for f in fields if f.compare)
        self.hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))


def _process(cls: _C, frozen: bool, eq: bool) -> _C:
    klass: Any = cls  # its generated attributes are set below
    fields: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        inherited: _Meta | None = base.__dict__.get(META)
        if inherited is None:
            continue
        if inherited.frozen != frozen:  # as dataclasses refuses
            raise TypeError(f"cannot inherit {'' if frozen else 'non-'}frozen dataclass from a "
                            f"{'non-' if frozen else ''}frozen one")
        for spec in inherited.fields:
            fields[spec.name] = spec
    # the class's own annotations, as dataclasses reads them (inspect.get_annotations would import inspect)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
        if _is_classvar(annotation):
            continue
        if isinstance(annotation, str) and annotation.startswith(("InitVar", "dataclasses.", "KW_ONLY")):
            raise TypeError(f"@record does not support {annotation} (field {name} of {cls.__qualname__})")
        value = cls.__dict__.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(value, MISSING, True, True, None)
        spec.name, spec.type = name, annotation
        if spec.default is not MISSING and type(spec.default).__hash__ is None:
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: use default_factory")
        if isinstance(value, Field):  # the class attribute is the default, as in a dataclass
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        fields[name] = spec
    meta = _Meta(tuple(fields.values()), frozen, eq)
    setattr(cls, META, meta)
    own = cls.__dict__
    if "__init__" not in own:
        klass.__init__ = _init(cls, meta.fields, frozen)
    if "__repr__" not in own:
        klass.__repr__ = _repr
    if eq:
        if "__eq__" not in own:
            klass.__eq__ = _eq
        class_hash = own.get("__hash__", MISSING)
        if class_hash is MISSING or (class_hash is None and "__eq__" in own):  # no explicit __hash__
            klass.__hash__ = _hash if frozen else None
    if frozen:
        if "__setattr__" in own or "__delattr__" in own:
            raise TypeError(f"Cannot overwrite attribute __setattr__ or __delattr__ in class {cls.__name__}")
        _freeze(cls, frozenset(fields))
    if "__match_args__" not in own:
        setattr(cls, "__match_args__", tuple(fields))  # noqa: B010  # mypy: a class attribute it deems read-only
    klass.__dataclass_fields__ = _DataclassProtocol("__dataclass_fields__")
    klass.__dataclass_params__ = _DataclassProtocol("__dataclass_params__")
    return cls


def _init(cls: type, fields: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    """``__init__`` of ``fields``: one ``exec`` (a signature, defaults and error messages as a dataclass's)."""
    namespace: dict[str, Any] = {"__object_setattr": object.__setattr__, "__factory": _HAS_FACTORY}
    params, body, seen_default = ["self"], [], False
    for f in fields:
        if f.default_factory is not MISSING:
            namespace[f"__factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=__factory")
            body.append(f"  if {f.name} is __factory: {f.name} = __factory_{f.name}()")
        elif f.default is not MISSING:
            namespace[f"__default_{f.name}"] = f.default
            params.append(f"{f.name}=__default_{f.name}")
        else:
            if seen_default:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            params.append(f.name)
            continue
        seen_default = True
    for f in fields:
        body.append(f"  __object_setattr(self, {f.name!r}, {f.name})" if frozen else f"  self.{f.name} = {f.name}")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "  pass") + "\n"
    exec(source, namespace)  # generated from the field names only, as dataclasses does
    init: Callable[..., None] = namespace["__init__"]
    init.__annotations__ = {f.name: f.type for f in fields} | {"return": None}
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _meta(self: object) -> _Meta:
    meta: _Meta = getattr(type(self), META)
    return meta


@reprlib.recursive_repr()
def _repr(self: object) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _meta(self).shown)
    return f"{self.__class__.__qualname__}({shown})"


def _eq(self: object, other: object) -> object:  # a bool, or NotImplemented for another class
    if other.__class__ is self.__class__:
        names = _meta(self).compared
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
    return NotImplemented


def _hash(self: object) -> int:
    return hash(tuple(getattr(self, n) for n in _meta(self).hashed))


def _freeze(owner: type[Any], names: frozenset[str]) -> None:
    """Frozen ``__setattr__``/``__delattr__``, as a frozen dataclass's (a subclass's own attributes pass)."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is owner or name in names:
            raise _frozen_error(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is owner or name in names:
            raise _frozen_error(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)

    klass: Any = owner
    __setattr__.__qualname__ = f"{owner.__qualname__}.__setattr__"
    __delattr__.__qualname__ = f"{owner.__qualname__}.__delattr__"
    klass.__setattr__, klass.__delattr__ = __setattr__, __delattr__


def _frozen_error(message: str) -> AttributeError:
    """``dataclasses.FrozenInstanceError``, what code catching a frozen dataclass's refusal expects
    (a bug's path: importing ``dataclasses`` here costs nothing that matters)."""
    import dataclasses

    return dataclasses.FrozenInstanceError(message)


class _Params:
    """What ``dataclasses`` reads of a base class's ``__dataclass_params__``."""

    def __init__(self, eq: bool, frozen: bool) -> None:
        self.init, self.repr, self.eq, self.order, self.unsafe_hash, self.frozen = True, True, eq, False, False, frozen
        self.match_args, self.kw_only, self.slots, self.weakref_slot = True, False, False, False

    def __repr__(self) -> str:
        return f"_DataclassParams(init=True, repr=True, eq={self.eq}, order=False, frozen={self.frozen})"


class _DataclassProtocol:
    """``__dataclass_fields__`` / ``__dataclass_params__`` of a record, made when first read: code that
    treats the record as a dataclass then finds real ``dataclasses.Field`` objects."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type) -> Any:
        defining = next(klass for klass in owner.__mro__ if klass.__dict__.get(self.name) is self)
        _build_protocol(defining)
        return getattr(owner, self.name)


def _build_protocol(cls: type) -> None:
    import dataclasses

    meta: _Meta = cls.__dict__[META]
    fields: dict[str, dataclasses.Field[Any]] = {}
    for spec in meta.fields:
        real: dataclasses.Field[Any]
        if spec.default_factory is not MISSING:
            real = dataclasses.field(default_factory=spec.default_factory, repr=spec.repr, compare=spec.compare,
                                     hash=spec.hash, kw_only=False)
        elif spec.default is not MISSING:
            real = dataclasses.field(default=spec.default, repr=spec.repr, compare=spec.compare, hash=spec.hash,
                                     kw_only=False)
        else:
            real = dataclasses.field(repr=spec.repr, compare=spec.compare, hash=spec.hash, kw_only=False)
        real.name, real.type = spec.name, spec.type
        real._field_type = dataclasses._FIELD  # type: ignore[attr-defined]  # the marker fields() selects on
        fields[spec.name] = real
    klass: Any = cls
    klass.__dataclass_fields__ = fields
    klass.__dataclass_params__ = _Params(meta.eq, meta.frozen)
