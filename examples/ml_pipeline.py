"""A richer flowctl example: a dataclass, caching, a map task, a subworkflow and a conditional.

Run it locally:
    flowctl run examples/ml_pipeline.py training_wf --epochs 3
    flowctl run examples/ml_pipeline.py training_wf --help
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flowctl import (
    Cache,
    Email,
    FixedRate,
    LaunchPlan,
    NonRetryable,
    Resources,
    conditional,
    map_task,
    task,
    workflow,
)


@dataclass
class Metrics:
    loss: float
    accuracy: float
    epochs: int


@task(cache=True, requests=Resources(cpu="500m", mem="256Mi"))
def load_data(n: int) -> list[float]:
    """Synthetic data; cached, so a second run is served from .flowctl/cache."""
    return [((i * 37) % 101) / 100.0 for i in range(n)]


@task
def normalize(x: float, scale: float = 1.0) -> float:
    return x * scale


@task(retries=2, timeout=timedelta(minutes=5), cache=Cache(ignored_inputs=["verbose"]))
def train(data: list[float], epochs: int, verbose: bool = False) -> Metrics:
    if epochs <= 0:
        raise NonRetryable("epochs must be positive")  # fails at once, retries are not used
    mean = sum(data) / len(data)
    loss = abs(0.5 - mean) / epochs
    return Metrics(loss=round(loss, 6), accuracy=round(1.0 - loss, 6), epochs=epochs)


@task
def accuracy_of(metrics: Metrics) -> float:
    return metrics.accuracy


@task
def promote(metrics: Metrics) -> str:
    return f"promoted model with accuracy {metrics.accuracy:.3f}"


@task
def reject(metrics: Metrics) -> str:
    return f"kept the current model (accuracy {metrics.accuracy:.3f})"


@workflow
def prepare_wf(n: int = 50) -> list[float]:
    """A subworkflow: load, then normalize every item with a map task."""
    raw = load_data(n=n)
    return map_task(normalize, concurrency=8)(x=raw)


@workflow
def training_wf(epochs: int = 2, n: int = 50, threshold: float = 0.9) -> tuple[Metrics, str]:
    data = prepare_wf(n=n)
    metrics = train(data=data, epochs=epochs)
    accuracy = accuracy_of(metrics=metrics)
    decision = (
        conditional("promote_or_reject")
        .if_(accuracy >= threshold)
        .then(promote(metrics=metrics))
        .else_()
        .then(reject(metrics=metrics))
    )
    return metrics, decision


hourly_lp = LaunchPlan.get_or_create(
    training_wf,
    name="hourly_training_lp",
    default_inputs={"epochs": 3},
    fixed_inputs={"n": 100},
    schedule=FixedRate(duration=timedelta(hours=1)),
    notifications=[Email(phases=["failed"], recipients_email=["ml-team@example.com"])],
)
