"""The execution engine: the controller (DAG walking, retries, caching, timeouts, aborts), the
scheduler, notifications, and the operations behind ``flowctl launch`` / ``flowctl executions``.

The names resolve on first use (PEP 562): ``executions list|get|show`` load only the views and
``find_execution``, never the controller (nor SQLAlchemy through it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl import _lazy

if TYPE_CHECKING:
    from flowctl.engine._clock import Clock, FileClock, ManualClock, SystemClock, clock_from_env
    from flowctl.engine._context import EngineContext, EngineOptions
    from flowctl.engine._controller import Controller, StepReport, wait_for
    from flowctl.engine._find import find_execution
    from flowctl.engine._launch import abort, launch, recover, relaunch, resolve_launch_plan
    from flowctl.engine._notify import deliver, payload_for
    from flowctl.engine._scheduler import Fire, backfill, due_times

_LAZY_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("Clock", "FileClock", "ManualClock", "SystemClock", "clock_from_env"), "flowctl.engine._clock"),
    **dict.fromkeys(("EngineContext", "EngineOptions"), "flowctl.engine._context"),
    **dict.fromkeys(("Controller", "StepReport", "wait_for"), "flowctl.engine._controller"),
    "find_execution": "flowctl.engine._find",
    **dict.fromkeys(("abort", "launch", "recover", "relaunch", "resolve_launch_plan"), "flowctl.engine._launch"),
    **dict.fromkeys(("deliver", "payload_for"), "flowctl.engine._notify"),
    **dict.fromkeys(("Fire", "backfill", "due_times"), "flowctl.engine._scheduler"),
}


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


def __dir__() -> list[str]:
    return sorted({name for name in globals() if name.startswith("_")} | set(_LAZY_EXPORTS))


__all__ = [
    "Clock",
    "Controller",
    "EngineContext",
    "EngineOptions",
    "FileClock",
    "Fire",
    "ManualClock",
    "StepReport",
    "SystemClock",
    "abort",
    "backfill",
    "clock_from_env",
    "deliver",
    "due_times",
    "find_execution",
    "launch",
    "payload_for",
    "recover",
    "relaunch",
    "resolve_launch_plan",
    "wait_for",
]
