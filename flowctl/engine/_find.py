"""Finding the execution a command names (``executions get|show|outputs|abort|...``), on any reader."""

from __future__ import annotations

from flowctl._errors import InputError
from flowctl.state._execution_access import ExecutionReader
from flowctl.state._execution_records import ExecutionRecord


def find_execution(store: ExecutionReader, ref: str) -> ExecutionRecord:
    """The execution named by ``ref`` (id, name, or project/domain/name); a clear error otherwise."""
    found = store.find_executions(ref)
    if not found:
        raise InputError(f"No execution `{ref}`", detail="List executions with `flowctl executions list`.")
    if len(found) > 1:
        where = ", ".join(f"{e.project}/{e.domain}/{e.name}" for e in found[:5])
        raise InputError(f"`{ref}` names several executions: {where}", detail="Give it as project/domain/name.")
    return found[0]
