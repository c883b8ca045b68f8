"""The in-process runner of ``flowctl run``: plans, retries, timeouts, on-disk cache."""

from flowctl._local._cache import LocalCache
from flowctl._local._runner import (
    LocalRunner,
    NodeFailure,
    NodeRun,
    Plan,
    RunResult,
    WorkflowFailure,
    plan_for,
    run_local,
)

__all__ = ["LocalCache", "LocalRunner", "NodeFailure", "NodeRun", "Plan", "RunResult", "WorkflowFailure", "plan_for", "run_local"]
