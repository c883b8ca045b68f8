from typing import List
from flowctl import task, workflow, LaunchPlan, CronSchedule


# 1. Define tasks
@task
def mean(values: List[float]) -> float:
    return sum(values) / len(values)


@task
def standard_deviation(values: List[float], mu: float) -> float:
    from math import sqrt
    variance = sum([(x - mu) ** 2 for x in values])
    return sqrt(variance)


@task
def standard_scale(values: List[float], mu: float, sigma: float) -> List[float]:
    return [(x - mu) / sigma for x in values]


# 2. Compose tasks into a workflow
@workflow
def standard_scale_workflow(values: List[float]) -> List[float]:
    mu = mean(values=values)
    sigma = standard_deviation(values=values, mu=mu)
    return standard_scale(values=values, mu=mu, sigma=sigma)


# 3. Create a launch plan with default inputs and a schedule
nightly_lp = LaunchPlan.get_or_create(
    standard_scale_workflow,
    name="nightly_scale_lp",
    default_inputs={"values": [1.0, 2.0, 3.0, 4.0, 5.0]},
    schedule=CronSchedule(schedule="0 0 * * *"),  # daily at midnight
)
