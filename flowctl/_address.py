"""Addresses: how plans, errors and the CLI name an object.

``project``, ``project/domain``, ``project/domain/kind/name`` or
``project/domain/kind/name@version``; ``kind`` is ``task``, ``workflow`` or ``launch_plan``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flowctl._errors import InputError


class EntityKind(StrEnum):
    """The three versioned kinds of the registry."""

    TASK = "task"
    WORKFLOW = "workflow"
    LAUNCH_PLAN = "launch_plan"


@dataclass(frozen=True, order=True)
class Address:
    """A parsed object address; ``str(address)`` gives the canonical text back."""

    project: str
    domain: str | None = None
    kind: EntityKind | None = None
    name: str | None = None
    version: str | None = None

    @classmethod
    def entity(cls, kind: EntityKind, project: str, domain: str, name: str, version: str | None = None) -> Address:
        return cls(project, domain, kind, name, version)

    @classmethod
    def parse(cls, text: str) -> Address:
        """Parse ``proj/dev/task/etl.load@3f2a9c`` (any prefix of it is also an address)."""
        body, _, version = text.partition("@")
        parts = body.split("/")
        if not body or len(parts) not in (1, 2, 4) or any(not p for p in parts) or ("@" in text and len(parts) != 4):
            raise InputError(
                f"Invalid address `{text}`",
                detail="Addresses look like `project`, `project/domain`, `project/domain/kind/name` "
                "or `project/domain/kind/name@version`, with kind one of task, workflow, launch_plan.",
            )
        if len(parts) == 4:
            try:
                kind = EntityKind(parts[2])
            except ValueError:
                raise InputError(
                    f"Invalid address `{text}`: unknown kind `{parts[2]}`",
                    detail="The kind must be one of task, workflow, launch_plan.",
                ) from None
            return cls(parts[0], parts[1], kind, parts[3], version or None)
        return cls(*parts)  # type: ignore[arg-type]

    def without_version(self) -> Address:
        return Address(self.project, self.domain, self.kind, self.name)

    def contains(self, other: Address) -> bool:
        """True when ``other`` is this address or lies below it (for ``--target``)."""
        mine = (self.project, self.domain, self.kind, self.name, self.version)
        theirs = (other.project, other.domain, other.kind, other.name, other.version)
        return all(m is None or m == t for m, t in zip(mine, theirs, strict=True))

    def __str__(self) -> str:
        parts = [self.project]
        if self.domain is not None:
            parts.append(self.domain)
        if self.kind is not None and self.name is not None:
            parts += [self.kind.value, self.name]
        text = "/".join(parts)
        return f"{text}@{self.version}" if self.version else text
