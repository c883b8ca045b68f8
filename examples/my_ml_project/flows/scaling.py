"""The seed example: standard scaling, composed from three typed tasks."""

from __future__ import annotations

from flowctl import CronSchedule, LaunchPlan, task, workflow


@task
def mean(values: list[float]) -> float:
    return sum(values) / len(values)


@task
def standard_deviation(values: list[float], mu: float) -> float:
    from math import sqrt

    variance = sum([(x - mu) ** 2 for x in values])
    return sqrt(variance)


@task
def standard_scale(values: list[float], mu: float, sigma: float) -> list[float]:
    return [(x - mu) / sigma for x in values]


@workflow
def standard_scale_workflow(values: list[float]) -> list[float]:
    mu = mean(values=values)
    sigma = standard_deviation(values=values, mu=mu)
    return standard_scale(values=values, mu=mu, sigma=sigma)


nightly_lp = LaunchPlan.get_or_create(
    standard_scale_workflow,
    name="nightly_scale_lp",
    default_inputs={"values": [1.0, 2.0, 3.0, 4.0, 5.0]},
    schedule=CronSchedule(schedule="0 0 * * *"),  # daily at midnight (UTC)
)
