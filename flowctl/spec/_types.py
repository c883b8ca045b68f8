"""TypeSpec: the language-neutral description of an input or output type, and assignability."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

TypeKind = Literal[
    "none", "bool", "int", "float", "str", "bytes", "datetime", "date", "timedelta",
    "list", "map", "union", "enum", "struct", "file", "directory", "dataframe", "any",
]
SCALAR_KINDS: frozenset[str] = frozenset(
    {"none", "bool", "int", "float", "str", "bytes", "datetime", "date", "timedelta", "file", "directory", "dataframe"}
)


class TypeSpec(BaseModel):
    """A type as data.

    ``args``: element type of a list, value type of a map (keys are always str), variants of a union.
    ``name``: qualified Python name of an enum or struct (dataclass, pydantic model, NamedTuple);
    the format of a file or folder (``FlowFile["csv"]``: ``csv``; empty: any format).
    ``values``: the values of an enum. ``fields``: name -> type of a struct, in declaration order;
    of a data frame, the columns it declares (``Annotated[StructuredDataset, kwtypes(a=int)]``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    kind: TypeKind
    args: tuple[TypeSpec, ...] = ()
    name: str = ""
    values: tuple[str, ...] = ()
    fields: tuple[tuple[str, TypeSpec], ...] = ()

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list[{self.args[0]}]"
        if self.kind == "map":
            return f"dict[str, {self.args[0]}]"
        if self.kind == "union":
            return " | ".join(str(a) for a in self.args)
        if self.kind in ("enum", "struct"):
            return self.name.rsplit(".", 1)[-1]
        if self.kind == "file" and self.name:
            return f"file[{self.name}]"
        if self.kind == "dataframe" and self.fields:
            return "dataframe[" + ", ".join(f"{n}: {t}" for n, t in self.fields) + "]"
        return self.kind


def is_assignable(source: TypeSpec, target: TypeSpec) -> bool:
    """Can a value of type ``source`` be bound to an input of type ``target``?

    Rules: equal types; anything to ``any``; ``int`` to ``float``; ``none`` or any variant into a
    union that accepts it; a union source when every variant fits; lists and maps element-wise;
    structs and enums by name and shape; a file of any format to a file input of any format, else
    equal formats; a data frame that declares columns to one that needs a subset of them (one that
    declares none is checked when it is read).
    """
    if source == target or target.kind == "any" or source.kind == "any":
        return True
    if source.kind == "union":
        return all(is_assignable(variant, target) for variant in source.args)
    if target.kind == "union":
        return any(is_assignable(source, variant) for variant in target.args)
    if source.kind == "int" and target.kind == "float":
        return True
    if source.kind != target.kind:
        return False
    if source.kind in ("list", "map"):
        return is_assignable(source.args[0], target.args[0])
    if source.kind == "enum":
        return source.name == target.name and set(source.values) <= set(target.values)
    if source.kind in ("file", "directory"):
        return not source.name or not target.name or source.name == target.name
    if source.kind == "dataframe":
        return _columns_fit(source, target)
    if source.kind == "struct":
        target_fields = dict(target.fields)
        return source.name == target.name and all(
            name in target_fields and is_assignable(t, target_fields[name]) for name, t in source.fields
        )
    return False


def _columns_fit(source: TypeSpec, target: TypeSpec) -> bool:
    if not source.fields or not target.fields:
        return True
    have = dict(source.fields)
    return all(name in have and is_assignable(have[name], t) for name, t in target.fields)

