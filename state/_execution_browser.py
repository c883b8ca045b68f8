"""The executions of a registry for ``executions list|get|show|outputs``, read without SQLAlchemy.

:func:`open_execution_reader` serves the reads of ``_execution_reads`` on the DB-API connection of
``_browser`` where that can serve the registry (an existing SQLite file or PostgreSQL at the head
schema), else opens the execution store, which gives the same answer or the same message as before.
"""

from __future__ import annotations

from flowctl.state._browser import DbApiReader, open_reader
from flowctl.state._execution_access import ExecutionReader
from flowctl.state._execution_reads import ExecutionReading


class DbApiExecutions(DbApiReader, ExecutionReading):
    """The execution reads on one DB-API connection; every method reads in one transaction."""


def open_execution_reader(url: str) -> ExecutionReader:
    """The executions of the registry at ``url`` for reading (never created or changed)."""
    return open_reader(url, DbApiExecutions, _execution_store)


def _execution_store(url: str) -> ExecutionReader:
    from flowctl.state._executions import open_execution_store  # what is wrong, or what the URL needs

    return open_execution_store(url, create=False)
