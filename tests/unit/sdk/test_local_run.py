"""The local runner: values, retries, NonRetryable, timeouts, cache, failure policy, conditionals, maps."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest

from flowctl import FlowFile, NonRetryable, conditional, map_task, task, workflow
from flowctl._errors import InputError
from flowctl._local import LocalCache, NodeFailure, WorkflowFailure, run_local

Loader = Callable[[str], ModuleType]
CALLS: dict[str, int] = {}


@task(timeout=0.2)
def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@task(timeout=timedelta(seconds=0.2), retries=1)
def sleepy_retried(seconds: float) -> float:
    CALLS["sleepy_retried"] = CALLS.get("sleepy_retried", 0) + 1
    time.sleep(seconds)
    return seconds


@task(cache=True)
def cached_square(x: int, note: str = "") -> int:
    CALLS["cached_square"] = CALLS.get("cached_square", 0) + 1
    return x * x


@task
def fails(x: int) -> int:
    raise ValueError(f"bad {x}")


@task
def ok(x: int) -> int:
    return x


@task
def wrong_type(x: int) -> int:
    return "not an int"  # type: ignore[return-value]


@task
def maybe_fail(x: int) -> int:
    if x % 2:
        raise ValueError("odd")
    return x


@workflow(failure_policy="fail_after_executable_nodes_complete")
def keep_going_wf(x: int) -> int:
    fails(x=x)
    fails(x=2)
    return ok(x=x)


@workflow
def fail_fast_wf(x: int) -> int:
    a = fails(x=x)
    return ok(x=a)


@workflow
def branch_wf(x: int) -> int:
    return conditional("sign").if_(x > 0).then(ok(x=x)).elif_(x == 0).then(ok(x=100)).else_().fail("negative input")


@workflow
def tolerant_map_wf(xs: list[int]) -> list[int | None]:
    return map_task(maybe_fail, min_success_ratio=0.5)(x=xs)


@workflow
def strict_map_wf(xs: list[int]) -> list[int]:
    return map_task(maybe_fail)(x=xs)


def test_outputs_and_records(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    result = run_local(module.main_wf, {"n": 4})
    assert result.outputs == {"o0": "blue:15", "o1": "big 15", "o2": 4}
    assert result.outputs_json() == {"o0": "blue:15", "o1": "big 15", "o2": 4}
    statuses = {r.target: r.status for r in result.nodes}
    assert statuses["wf_good.norms_wf"] == "succeeded" and statuses["size"] == "succeeded"
    assert run_local(module.main_lp).outputs["o0"] == "red:15"  # defaults n=4, fixed color=red


def test_retries_then_success_and_non_retryable(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    module.ATTEMPTS.clear()
    result = run_local(module.flaky, {"key": "a"})
    assert result.outputs == {"o0": 3} and result.nodes[0].attempts == 3
    with pytest.raises(NodeFailure) as info:
        run_local(module.hopeless, {"key": "b"})
    assert module.ATTEMPTS["b"] == 1 and info.value.attempt == 1 and info.value.attempts == 4
    assert "NonRetryable: no point in retrying" in info.value.message


def test_failure_names_node_attempt_and_user_traceback() -> None:
    with pytest.raises(NodeFailure) as info:
        run_local(fail_fast_wf, {"x": 1})
    failure = info.value
    assert failure.node == "n0" and failure.target.endswith(".fails") and failure.attempt == 1
    assert 'raise ValueError(f"bad {x}")' in failure.traceback and "flowctl/_local" not in failure.traceback
    assert "Node n0 (`" in failure.render() and "failed on attempt 1/1: ValueError: bad 1" in failure.render()


def test_fail_after_executable_nodes_complete() -> None:
    with pytest.raises(WorkflowFailure) as info:
        run_local(keep_going_wf, {"x": 1})
    assert [f.node for f in info.value.failures] == ["n0", "n1"]


def test_timeout_is_enforced() -> None:
    started = time.perf_counter()
    with pytest.raises(NodeFailure, match=r"timed out after 0\.2 s"):
        run_local(sleepy, {"seconds": 5.0})
    assert time.perf_counter() - started < 2
    CALLS.pop("sleepy_retried", None)
    with pytest.raises(NodeFailure):
        run_local(sleepy_retried, {"seconds": 5.0})
    assert CALLS["sleepy_retried"] == 2  # a timeout is retried
    assert run_local(sleepy, {"seconds": 0.0}).outputs == {"o0": 0.0}


def test_timeout_in_a_worker_thread() -> None:
    import threading

    box: dict[str, BaseException] = {}

    def target() -> None:
        try:
            run_local(sleepy, {"seconds": 3.0})
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target)
    started = time.perf_counter()
    worker.start()
    worker.join(5)
    assert isinstance(box.get("error"), NodeFailure) and time.perf_counter() - started < 2


def test_cache_hit_miss_and_ignored_inputs(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "cache")
    CALLS.pop("cached_square", None)
    assert run_local(cached_square, {"x": 3}, cache=cache).outputs == {"o0": 9}
    second = run_local(cached_square, {"x": 3}, cache=cache)
    assert second.outputs == {"o0": 9} and second.nodes[0].status == "cached" and CALLS["cached_square"] == 1
    run_local(cached_square, {"x": 4}, cache=cache)
    assert CALLS["cached_square"] == 2 and cache.entries() == 2
    run_local(cached_square, {"x": 4}, cache=cache, overwrite_cache=True)
    assert CALLS["cached_square"] == 3
    assert cache.clear() == 2 and cache.entries() == 0


def test_output_type_is_checked() -> None:
    with pytest.raises(NodeFailure, match="returned a wrong value"):
        run_local(wrong_type, {"x": 1})


def test_input_errors() -> None:
    with pytest.raises(InputError, match=r"Input `x` of workflow `.*` is required"):
        run_local(fail_fast_wf, {})
    with pytest.raises(InputError, match="has no input `y`"):
        run_local(fail_fast_wf, {"x": 1, "y": 2})
    with pytest.raises(InputError, match="must be `int`"):
        run_local(fail_fast_wf, {"x": "one"})


def test_conditional_arms() -> None:
    assert run_local(branch_wf, {"x": 5}).outputs == {"o0": 5}
    assert run_local(branch_wf, {"x": 0}).outputs == {"o0": 100}
    with pytest.raises(NodeFailure, match="conditional failed: negative input"):
        run_local(branch_wf, {"x": -1})
    assert branch_wf(x=5) == 5  # plain Python call of the workflow function


def test_map_tasks_and_min_success_ratio() -> None:
    assert run_local(tolerant_map_wf, {"xs": [0, 1, 2, 4]}).outputs == {"o0": [0, None, 2, 4]}
    with pytest.raises(NodeFailure, match="2 of 4 items failed"):
        run_local(strict_map_wf, {"xs": [1, 3, 2, 4]})
    with pytest.raises(NodeFailure, match="3 of 4 items failed"):
        run_local(tolerant_map_wf, {"xs": [1, 3, 5, 4]})


def test_non_retryable_is_public() -> None:
    assert issubclass(NonRetryable, Exception)


@task
def write_file(text: str, folder: str) -> FlowFile:
    path = Path(folder) / "out.txt"
    path.write_text(text)
    return FlowFile(str(path))


@task
def read_file(f: FlowFile, suffix: str | None = None) -> str:
    return f.read_bytes().decode() + (suffix or "")


@workflow
def file_wf(text: str, folder: str) -> str:
    return read_file(f=write_file(text=text, folder=folder))


def test_files_and_optional_inputs(tmp_path: Path) -> None:
    assert run_local(file_wf, {"text": "hi", "folder": str(tmp_path)}).outputs == {"o0": "hi"}
    assert run_local(read_file, {"f": str(tmp_path / "out.txt"), "suffix": "!"}).outputs == {"o0": "hi!"}


def test_map_task_outside_a_workflow_is_a_loop() -> None:
    assert map_task(ok)(x=[1, 2, 3]) == [1, 2, 3]
