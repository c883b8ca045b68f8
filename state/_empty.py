"""The registry ``flowctl plan`` sees where none exists yet (light: no SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Sequence

from flowctl._address import EntityKind
from flowctl.state._interface import (
    ApplyRecord,
    LockRecord,
    PlanSource,
    RegistryReader,
    RegistrySnapshot,
    StoredEntity,
)


class EmptyRegistry:
    """The registry ``plan`` sees where none exists yet: nothing registered, serial 0, no lineage.

    ``flowctl plan`` in a fresh checkout shows everything as new without creating the registry
    (``apply`` creates it); a plan saved against it applies to a registry that is still empty."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def snapshot(self) -> RegistrySnapshot:
        return RegistrySnapshot(lineage="", serial=0)

    def list_locks(self) -> Sequence[LockRecord]:
        return []

    def get_entity(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None:
        return None

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None) -> Sequence[StoredEntity]:
        return []

    def last_apply(self) -> ApplyRecord | None:
        return None

    def apply_history(self, limit: int = 20) -> Sequence[ApplyRecord]:
        return []

    def close(self) -> None:
        return None


def _conforms(empty: EmptyRegistry) -> tuple[RegistryReader, PlanSource]:
    """mypy checks here that EmptyRegistry is a RegistryReader and a PlanSource."""
    return empty, empty
