"""Workflows for the controller tests of issue 17: gates, data frames, context and decks, overrides,
references. Bundled and run by real attempt processes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import pandas as pd

from flowctl import (
    Deck,
    StructuredDataset,
    approve,
    current_context,
    kwtypes,
    reference_launch_plan,
    reference_task,
    sleep,
    task,
    wait_for_input,
    workflow,
)


@task
def propose(x: int) -> float:
    return x / 10


@task
def combine(value: float, threshold: float) -> str:
    return f"{value} {'>=' if value >= threshold else '<'} {threshold}"


@task
def one() -> int:
    return 1


@workflow
def gated(x: int) -> str:
    proposal = propose(x=x)
    threshold = wait_for_input("threshold", timeout=timedelta(hours=1), expected_type=float)
    approved = approve(proposal, "ship-it", timeout=timedelta(hours=1))
    return combine(value=approved, threshold=threshold)


@workflow
def impatient() -> float:
    return wait_for_input("quick", timeout=timedelta(seconds=1), expected_type=float)


@workflow
def napping() -> int:
    nap = sleep(timedelta(seconds=1))
    result = one()
    nap >> result
    return result


def rich_frame() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples([("eu", 1), ("eu", 2), ("us", 1)], names=["region", "shard"])
    return pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01 10:00", "2024-06-01 11:30", None]).tz_localize("Europe/Paris"),
            "tier": pd.Categorical(["gold", "free", "gold"], categories=["free", "gold", "pro"], ordered=True),
            "visits": pd.array([3, None, 7], dtype="Int64"),
        },
        index=index,
    )


@task
def make_frame() -> pd.DataFrame:
    return rich_frame()


@task
def same_frame(frame: pd.DataFrame) -> bool:
    pd.testing.assert_frame_equal(frame, rich_frame(), check_exact=True)
    return True


@task
def visit_columns(data: Annotated[StructuredDataset, kwtypes(visits=int)]) -> list[str]:
    return [str(c) for c in data.open(pd.DataFrame).all().columns]


@workflow
def frames() -> tuple[bool, list[str]]:
    frame = make_frame()
    return same_frame(frame=frame), visit_columns(data=frame)


@task
def reporter(x: int) -> str:
    ctx = current_context()
    Deck("summary", f"<p>x is {x}</p>")
    return f"{ctx.execution_id.name}|{ctx.node_id}|{ctx.attempt}|{ctx.task_id.version}"


@workflow
def reporting(x: int) -> str:
    return reporter(x=x)


@task(retries=0)
def flaky(marker: str) -> int:
    path = Path(marker)
    count = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(count))
    if count < 3:
        raise RuntimeError(f"attempt {count} fails")
    return count


@workflow
def overridden(marker: str) -> int:
    return flaky(marker=marker).with_overrides(retries=2)


@reference_task(project="shared", domain="production", name="flyteflows.propose", version="v1")
def shared_propose(x: int) -> float: ...


@workflow
def uses_reference(x: int) -> float:
    return shared_propose(x=x)


@reference_launch_plan(project="shared", domain="production", name="flyteflows.reporting", version="v1")
def shared_reporting(x: int) -> str: ...


@workflow
def uses_reference_lp(x: int) -> str:
    return shared_reporting(x=x)
