"""A churn-scoring pipeline written against flytekit's documented API; only the import is flowctl's.

Swap ``from flowctl import ...`` for ``from flytekit import ...`` (and ``flytekit.types``) and it is a
flytekit project again: tasks with resources, caching and an ImageSpec, a map task over
FlyteFiles, a StructuredDataset pipeline with a column subset, a conditional, an approval gate,
``with_overrides``, ``current_context`` and a Deck, and a launch plan with a schedule and an
Email notification.

    flowctl run examples/flyte_port/churn.py churn_wf --signal publish-report=yes
    flowctl plan examples/flyte_port --version v1
"""

from __future__ import annotations

import typing
from datetime import timedelta
from typing import Annotated

import pandas as pd

from flowctl import (
    CronSchedule,
    Deck,
    Email,
    FlyteFile,
    ImageSpec,
    LaunchPlan,
    Resources,
    StructuredDataset,
    WorkflowExecutionPhase,
    approve,
    conditional,
    current_context,
    kwtypes,
    map_task,
    task,
    workflow,
)

CSVFile = FlyteFile[typing.TypeVar("csv")]
Scoring = Annotated[StructuredDataset, kwtypes(customer_id=int, tenure_months=int, monthly_spend=float)]

image = ImageSpec(name="churn", registry="ghcr.io/acme", packages=["pandas", "pyarrow"])


@task(container_image=image, cache=True, cache_version="1.0", requests=Resources(cpu="500m", mem="1Gi"))
def make_shards(n_shards: int, rows_per_shard: int) -> typing.List[CSVFile]:  # noqa: UP006 - flytekit style
    """Write one CSV file of customers per shard (the stand-in for an export from a warehouse)."""
    folder = current_context().working_directory
    shards = []
    for shard in range(n_shards):
        path = f"{folder}/customers-{shard}.csv"
        rows = [
            {"customer_id": shard * rows_per_shard + i, "tenure_months": (i * 7) % 40 + 1,
             "monthly_spend": round(20 + (i * 13) % 90, 2), "region": "eu" if i % 2 else "us"}
            for i in range(rows_per_shard)
        ]
        pd.DataFrame(rows).to_csv(path, index=False)
        shards.append(CSVFile(path))
    return shards


@task(retries=2, limits=Resources(cpu="1", mem="512Mi"))
def count_rows(shard: CSVFile) -> int:
    """Runs once per shard (map task); the file streams from the blob store."""
    with shard.open("rb") as handle:
        return sum(1 for _ in handle) - 1


@task(cache=True, cache_version="1.0")
def load_customers(shards: typing.List[CSVFile]) -> StructuredDataset:  # noqa: UP006
    frames = [pd.read_csv(shard.download()) for shard in shards]
    return StructuredDataset(dataframe=pd.concat(frames, ignore_index=True))


@task(requests=Resources(cpu="1", mem="2Gi"), interruptible=True)
def score(customers: Scoring) -> pd.DataFrame:
    """Reads only the declared columns of the dataset."""
    frame = customers.open(pd.DataFrame).all()
    frame["risk"] = (1.0 / frame["tenure_months"]) * (frame["monthly_spend"] / 100.0)
    return frame.set_index("customer_id")


@task
def churn_rate(scored: pd.DataFrame, threshold: float) -> float:
    return float((scored["risk"] > threshold).mean())


@task
def summarize(rows: typing.List[int], rate: float) -> str:  # noqa: UP006
    summary = f"{sum(rows)} customers in {len(rows)} shards, churn rate {rate:.1%}"
    Deck("summary", f"<p>{summary}</p>")
    current_context().logging.info(summary)
    return summary


@task
def escalate(summary: str) -> str:
    return f"ALERT: {summary}"


@task
def note(summary: str) -> str:
    return f"ok: {summary}"


@task
def publish(message: str) -> str:
    return f"published: {message}"


@workflow
def churn_wf(n_shards: int = 3, rows_per_shard: int = 20, threshold: float = 0.05) -> str:
    shards = make_shards(n_shards=n_shards, rows_per_shard=rows_per_shard)
    rows = map_task(count_rows, concurrency=2)(shard=shards)
    customers = load_customers(shards=shards)
    scored = score(customers=customers).with_overrides(retries=1, name="score-customers")
    rate = churn_rate(scored=scored, threshold=threshold)
    summary = summarize(rows=rows, rate=rate)
    approved = approve(summary, "publish-report", timeout=timedelta(hours=12))
    message = (
        conditional("alert")
        .if_(rate > 0.5).then(escalate(summary=approved))
        .else_().then(note(summary=approved))
    )
    return publish(message=message)


nightly_churn = LaunchPlan.get_or_create(
    churn_wf,
    name="nightly_churn",
    default_inputs={"n_shards": 4},
    schedule=CronSchedule(schedule="0 3 * * *"),
    notifications=[
        Email(
            phases=[WorkflowExecutionPhase.FAILED, WorkflowExecutionPhase.TIMED_OUT],
            recipients_email=["ml-oncall@example.com"],
        )
    ],
)
