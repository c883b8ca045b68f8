"""The engine's and the providers' public names are pinned."""

import flowctl.engine
import flowctl.providers


def test_engine_exports() -> None:
    assert set(flowctl.engine.__all__) == {
        "Clock", "Controller", "EngineContext", "EngineOptions", "FileClock", "Fire", "ManualClock", "StepReport",
        "SystemClock", "abort", "backfill", "clock_from_env", "deliver", "due_times", "find_execution", "launch",
        "payload_for", "recover", "relaunch", "resolve_launch_plan", "wait_for",
    }


def test_provider_exports() -> None:
    assert set(flowctl.providers.__all__) == {
        "THROTTLED", "TIMEOUT", "AttemptPhase", "AttemptRef", "ErrorKind", "LogsResponse", "Provider",
        "ProviderFailure", "StatusResponse", "SubmitRequest", "SubmitResponse", "get_provider",
    }
