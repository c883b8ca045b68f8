"""Tasks and workflows the engine tests run (bundled from a temporary manifest root)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from flowctl import Cache, CronSchedule, FixedRate, LaunchPlan, conditional, map_task, task, workflow


@task
def add(a: int, b: int) -> int:
    print(f"adding {a} and {b}")
    return a + b


@task
def double(x: int) -> int:
    return x * 2


@task
def fail(x: int) -> int:
    raise ValueError(f"boom {x}")


@task(retries=1)
def flaky(x: int, marker: str) -> int:
    """Fails on the first attempt (no marker yet), succeeds on the second."""
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("flaky failure")
    return x


@task
def flaky_once(x: int, marker: str) -> int:
    """No retries: fails the first time it ever runs, succeeds afterwards (for recover)."""
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("fails the first time")
    return x


@task(timeout=0.5)
def sleepy(seconds: float) -> int:
    time.sleep(seconds)
    return 1


@task
def slow(seconds: float) -> int:
    time.sleep(seconds)
    return 1


@task(cache=Cache(version="1", ignored_inputs=["counter"]))
def counted(x: int, counter: str) -> int:
    """Appends a line to ``counter`` each time it really runs."""
    with open(counter, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    return x + 1


@task
def slow_counted(x: int, counter: str, seconds: float) -> int:
    with open(counter, "a") as handle:
        handle.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return x + 1


@task
def square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


@task
def total(values: list[int]) -> int:
    return sum(values)


@task
def stamp(when: datetime) -> str:
    return when.isoformat()


@workflow
def chain(a: int, b: int) -> int:
    return double(x=add(a=a, b=b))


@workflow
def failing(x: int) -> int:
    return fail(x=x)


@workflow
def retrying(x: int, marker: str) -> int:
    return flaky(x=x, marker=marker)


@workflow
def timing_out(seconds: float = 20.0) -> int:
    return sleepy(seconds=seconds)


@workflow
def cached(x: int, counter: str) -> int:
    return counted(x=x, counter=counter)


@workflow
def two_steps(x: int, counter: str, marker: str) -> int:
    return flaky_once(x=counted(x=x, counter=counter), marker=marker)


@workflow
def long_running(x: int, counter: str, seconds: float) -> int:
    first = slow_counted(x=x, counter=counter, seconds=0.0)
    return slow_counted(x=first, counter=counter, seconds=seconds)


@workflow
def inner(a: int, b: int) -> int:
    return add(a=a, b=b)


@workflow
def composite(xs: list[int], a: int) -> int:
    s = inner(a=a, b=a)
    squares = map_task(square, concurrency=2)(x=xs)
    t = total(values=squares)
    return (
        conditional("pick")
        .if_(s > 5).then(double(x=t))
        .else_().then(add(a=t, b=s))
    )


double_lp = LaunchPlan.get_or_create(chain, name="chain_fixed", fixed_inputs={"b": 1})


@workflow
def parent(a: int) -> int:
    return double(x=double_lp(a=a))


@workflow
def mapped_partial(xs: list[int]) -> list[int | None]:
    return map_task(square, min_success_ratio=0.5)(x=xs)


@workflow
def stamped(when: datetime) -> str:
    return stamp(when=when)


hourly = LaunchPlan.get_or_create(stamped, name="hourly", schedule=CronSchedule("0 * * * *", kickoff_time_input_arg="when"))
every_minute_all = LaunchPlan.get_or_create(
    stamped, name="every_minute_all", schedule=FixedRate(timedelta(minutes=1), kickoff_time_input_arg="when"), catchup="all"
)


@workflow(failure_policy="fail_after_executable_nodes_complete")
def keep_going(x: int) -> int:
    broken = fail(x=x)
    fine = double(x=x)
    return add(a=broken, b=fine)


@workflow
def slow_once(counter: str, seconds: float) -> int:
    """One attempt that appends to ``counter`` and then runs for ``seconds`` (exactly-once tests)."""
    return slow_counted(x=0, counter=counter, seconds=seconds)


@task
def tick(times: int, seconds: float) -> int:
    """Prints ``tick i`` every ``seconds`` (for following a running attempt's log)."""
    for i in range(times):
        print(f"tick {i}", flush=True)
        time.sleep(seconds)
    return times


@workflow
def ticking(times: int, seconds: float) -> int:
    return tick(times=times, seconds=seconds)
