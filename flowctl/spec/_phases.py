"""``WorkflowExecutionPhase``: the phases of an execution, as notifications and the API name them.

A ``StrEnum``: each member *is* its string (``WorkflowExecutionPhase.FAILED == "failed"``), so
execution records, JSON documents and notification specs keep plain strings. The names are
flytekit's; flytekit's transient phases (``SUCCEEDING``, ``FAILING``, ``ABORTING``) and
``UNDEFINED`` do not exist in flowctl, where a phase changes in one step.
"""

from __future__ import annotations

from enum import StrEnum


class WorkflowExecutionPhase(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ABORTED = "aborted"

    @property
    def terminal(self) -> bool:
        """Notifications fire on terminal phases only."""
        return self in TERMINAL


TERMINAL = frozenset(
    {WorkflowExecutionPhase.SUCCEEDED, WorkflowExecutionPhase.FAILED, WorkflowExecutionPhase.TIMED_OUT,
     WorkflowExecutionPhase.ABORTED}
)
