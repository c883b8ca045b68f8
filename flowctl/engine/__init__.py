"""The execution engine: the controller (DAG walking, retries, caching, timeouts, aborts), the
scheduler, notifications, and the operations behind ``flowctl launch`` / ``flowctl executions``."""

from flowctl.engine._clock import Clock, FileClock, ManualClock, SystemClock, clock_from_env
from flowctl.engine._context import EngineContext, EngineOptions
from flowctl.engine._controller import Controller, StepReport, wait_for
from flowctl.engine._launch import abort, find_execution, launch, recover, relaunch, resolve_launch_plan
from flowctl.engine._notify import deliver, payload_for
from flowctl.engine._scheduler import Fire, backfill, due_times

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
