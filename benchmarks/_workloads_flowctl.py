"""The compare benchmark's workloads, written with flowctl's decorators (tasks must be module-level)."""

from __future__ import annotations

from flowctl import task, workflow

CHAIN = 100
FANOUT = 200


@task
def inc(x: int) -> int:
    return x + 1


@task
def square(i: int) -> int:
    return i * i


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@workflow
def chain(x: int) -> int:
    for _ in range(CHAIN):
        x = inc(x=x)
    return x


@workflow
def fanout() -> int:
    return total(xs=[square(i=i) for i in range(FANOUT)])
