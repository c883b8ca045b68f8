"""Fixture module: dynamic workflows (fan-out decided by an input), nested dynamic tasks, and tasks
of other types called from a dynamic body."""

from __future__ import annotations

from flowctl import dynamic, task, workflow
from flowctl.tasktypes import ShellTask

CALLS: list[int] = []

shout = ShellTask("shout", script="printf '%s!' {{ inputs.word | quote }} > {{ outputs.loud }}",
                  inputs={"word": str}, outputs={"loud": str})


@task
def square(x: int) -> int:
    CALLS.append(x)
    return x * x


@task(cache=True, cache_version="1")
def cached_square(x: int) -> int:
    CALLS.append(x)
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def fragile(x: int) -> int:
    if x == 2:
        raise ValueError("two is bad")
    return x


@dynamic
def squares(n: int) -> list[int]:
    """One node per item: the fan-out is decided by the input."""
    return [square(x=i) for i in range(n)]


@dynamic
def cached_squares(n: int) -> list[int]:
    return [cached_square(x=i) for i in range(n)]


@dynamic
def sum_of_squares(n: int) -> int:
    """A dynamic task calling another dynamic task (nested)."""
    if n == 0:
        return 0
    return total(xs=squares(n=n))


@dynamic
def shout_all(words: list[str]) -> list[str]:
    return [shout(word=w) for w in words]


@dynamic
def all_fragile(n: int) -> list[int]:
    return [fragile(x=i) for i in range(n)]


@dynamic
def miswired(n: int) -> int:
    return square(y=n)  # type: ignore[call-arg]


@workflow
def fan_out(n: int) -> int:
    return total(xs=squares(n=n))


@workflow
def nested(n: int) -> int:
    return sum_of_squares(n=n)


@workflow
def shouting(words: list[str]) -> list[str]:
    return shout_all(words=words)
