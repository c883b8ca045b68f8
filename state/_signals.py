"""Signals of gate nodes: the value a person gave ``wait_for_input``/``approve`` gates, set once.

Stored in the ``signals`` table (``uq_signal_name``: one value per execution and name), so a
controller that restarts finds the answer, or keeps waiting for it. A mixin of
:class:`~flowctl.state._executions.ExecutionStore` (it uses the store's transactions).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from flowctl._errors import InputError
from flowctl.spec import Json
from flowctl.state._engine import Conflict
from flowctl.state._tables import SignalRow, table
from flowctl.state._types import utcnow

SIGNALS = table(SignalRow)


@dataclass(frozen=True)
class SignalRecord:
    name: str
    value: Json
    created_at: datetime
    created_by: str


class SignalsMixin:
    """``set_signal`` and ``signals`` for the execution store."""

    def _read(self) -> AbstractContextManager[sa.Connection]:  # provided by ExecutionStore
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def set_signal(self, execution_id: str, name: str, value: Json, *, created_by: str = "") -> SignalRecord:
        """Record the value of signal ``name``; InputError when it was given already."""
        now = utcnow()
        try:
            with self._write() as conn:
                conn.execute(SIGNALS.insert().values(execution_id=execution_id, name=name, value=value,
                                                     created_at=now, created_by=created_by))
        except Conflict:
            existing = self.signals(execution_id).get(name)
            raise InputError(
                f"Signal `{name}` was already given for this execution",
                detail=f"It was set to {existing.value if existing else '?'!r} by {existing.created_by if existing else '?'}; "
                "a signal is given once. Relaunch the execution to answer again.",
            ) from None
        return SignalRecord(name, value, now, created_by)

    def signals(self, execution_id: str) -> dict[str, SignalRecord]:
        s = SIGNALS.c
        with self._read() as conn:
            rows = conn.execute(sa.select(SIGNALS).where(s.execution_id == execution_id).order_by(s.id)).all()
        return {r.name: SignalRecord(r.name, r.value, r.created_at, r.created_by) for r in rows}
