"""Helpers of the drift integration tests: a registry world applied by the real plan/apply path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flowctl.spec import DesiredState
from flowctl.state import SqlStore


@dataclass
class World:
    url: str
    store: SqlStore
    applied_at: datetime

    def sql(self, statement: str, **params: object) -> None:
        """An out-of-band change: raw SQL against the registry database, as a person would run it."""
        import sqlalchemy as sa

        with self.store.engine.begin() as conn:
            conn.execute(sa.text(statement), params)

    def report(self, **kwargs: object):  # type: ignore[no-untyped-def]
        from flowctl.plans.drift._gather import build_report

        return build_report(self.store, now=kwargs.pop("now", datetime.now(UTC)), **kwargs)  # type: ignore[arg-type]


def apply_desired(store: SqlStore, desired: DesiredState, now: datetime) -> None:
    from flowctl.plans import ApplyIdentity, apply_plan, compute_plan

    plan = compute_plan(desired, store.snapshot(), now=now)
    apply_plan(plan, store, identity=ApplyIdentity("alice", "ci-host", "alice@ci-host:1"), now=now)
