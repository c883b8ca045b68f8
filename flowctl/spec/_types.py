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
    ``name``: qualified Python name of an enum or struct (dataclass, pydantic model, NamedTuple).
    ``values``: the values of an enum. ``fields``: name -> type of a struct, in declaration order.
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
        return self.kind


def is_assignable(source: TypeSpec, target: TypeSpec) -> bool:
    """Can a value of type ``source`` be bound to an input of type ``target``?

    Rules: equal types; anything to ``any``; ``int`` to ``float``; ``none`` or any variant into a
    union that accepts it; a union source when every variant fits; lists and maps element-wise;
    structs and enums by name and shape.
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
    if source.kind == "struct":
        target_fields = dict(target.fields)
        return source.name == target.name and all(
            name in target_fields and is_assignable(t, target_fields[name]) for name, t in source.fields
        )
    return False


TypeSpec.model_rebuild()
