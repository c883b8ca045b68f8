"""A small training pipeline: prepare the data, train, evaluate; scheduled nightly."""

from __future__ import annotations

from flowctl import CronSchedule, LaunchPlan, task, workflow


@task
def prepare(values: list[float]) -> list[float]:
    top = max(values) or 1.0
    return [v / top for v in values]


@task(retries=2)
def train(data: list[float], epochs: int, learning_rate: float) -> float:
    weight = 0.0
    for _ in range(epochs):
        for x in data:
            weight += learning_rate * (x - weight)
    return weight


@task
def evaluate(weight: float, data: list[float]) -> float:
    return sum((x - weight) ** 2 for x in data) / len(data)


@workflow
def training_wf(values: list[float], epochs: int = 3, learning_rate: float = 0.1) -> float:
    data = prepare(values=values)
    weight = train(data=data, epochs=epochs, learning_rate=learning_rate)
    return evaluate(weight=weight, data=data)


nightly_training_lp = LaunchPlan.get_or_create(
    training_wf,
    name="nightly_training_lp",
    default_inputs={"values": [1.0, 2.0, 3.0, 4.0, 5.0]},
    schedule=CronSchedule(schedule="0 2 * * *", timezone="Europe/Zurich"),
)
