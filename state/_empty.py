"""The registry ``flowctl plan`` sees where none exists yet (light: no SQLAlchemy)."""

from __future__ import annotations

from collections.abc import Sequence

from flowctl.state._interface import LockRecord, PlanSource, RegistrySnapshot


class EmptyRegistry:
    """The registry ``plan`` sees where none exists yet: nothing registered, serial 0, no lineage, no lock.

    ``flowctl plan`` in a fresh checkout shows everything as new without creating the registry
    (``apply`` creates it); a plan saved against it applies to a registry that is still empty."""

    def snapshot(self) -> RegistrySnapshot:
        return RegistrySnapshot(lineage="", serial=0)

    def list_locks(self) -> Sequence[LockRecord]:
        return []

    def close(self) -> None:
        return None


def _conforms(empty: EmptyRegistry) -> PlanSource:
    """mypy checks here that EmptyRegistry is a PlanSource."""
    return empty
