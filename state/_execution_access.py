"""What the execution commands need of the execution store: reads, launching and aborting.

``flowctl launch``, ``run --remote`` and ``executions abort|relaunch|recover`` use only this
protocol, so they work on the SQL :class:`~flowctl.state._executions.ExecutionStore` and on the
server (``flowctl.client.RemoteExecutions``) alike; ``executions list|get|show|outputs`` only its
reads (:class:`ExecutionReader`), which the DB-API reader of ``_browser`` serves too. The
controller, logs and gates need the whole store.
"""

from __future__ import annotations

from typing import Protocol

from flowctl.state._execution_records import (
    AttemptRecord,
    ExecutionRecord,
    NewExecution,
    NodeRecord,
    StoredSpec,
)


class ExecutionReader(Protocol):
    """What ``executions list|get|show|outputs`` read: also served without SQLAlchemy (``_browser``)."""

    def get_spec(self, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None: ...

    def get_execution(self, execution_id: str) -> ExecutionRecord | None: ...

    def find_executions(self, ref: str) -> list[ExecutionRecord]: ...

    def list_executions(self, *, project: str | None = None, domain: str | None = None, phase: str | None = None,
                        launch_plan: str | None = None, limit: int = 50,
                        top_level_only: bool = False) -> list[ExecutionRecord]: ...

    def load_nodes(self, execution_id: str) -> dict[str, NodeRecord]: ...

    def load_attempts(self, execution_id: str) -> dict[str, list[AttemptRecord]]: ...

    def close(self) -> None: ...


class ExecutionAccess(ExecutionReader, Protocol):
    def latest_version(self, kind: str, project: str, domain: str, name: str) -> str | None: ...

    def active_version(self, project: str, domain: str, launch_plan: str) -> str | None: ...

    def create_execution(self, new: NewExecution, *, recover_from: str | None = None) -> ExecutionRecord: ...

    def request_abort(self, execution_id: str) -> bool: ...
