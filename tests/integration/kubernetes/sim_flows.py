"""The manifest the k8s-sim end-to-end tests apply (``{project}`` is filled in per session): the
seed workflow, files and a map task, a flaky task, failures, a timeout, a long task to abort, and a
task that leaves a marker in the object store each time it runs (to count its pods)."""

MANIFEST = '''
import os
import time
import uuid
from pathlib import Path

import fsspec

from flowctl import FlowFile, map_task, task, workflow
from flowctl._project import Project


@task
def mean(values: list[float]) -> float:
    print("mean of", values, flush=True)
    return sum(values) / len(values)


@task
def standard_deviation(values: list[float], mu: float) -> float:
    from math import sqrt
    return sqrt(sum((x - mu) ** 2 for x in values))


@task
def standard_scale(values: list[float], mu: float, sigma: float) -> list[float]:
    return [(x - mu) / sigma for x in values]


@workflow
def standard_scale_workflow(values: list[float]) -> list[float]:
    mu = mean(values=values)
    sigma = standard_deviation(values=values, mu=mu)
    return standard_scale(values=values, mu=mu, sigma=sigma)


@task
def write_note(text: str) -> FlowFile:
    path = Path("note.txt").resolve()
    path.write_text(text)
    return FlowFile(str(path))


@task
def read_note(note: FlowFile) -> str:
    return note.path + "|" + note.read_bytes().decode()


@task
def square(x: int) -> int:
    return x * x


@task
def total(values: list[int]) -> int:
    return sum(values)


@workflow
def files_and_map(text: str, xs: list[int]) -> tuple[str, int]:
    seen = read_note(note=write_note(text=text))
    return seen, total(values=map_task(square, concurrency=2)(x=xs))


@task(retries=1)
def flaky(x: int) -> int:
    attempt = os.environ["FLOWCTL_ATTEMPT"]
    print("attempt", attempt, flush=True)
    if attempt == "0":
        raise RuntimeError("first attempts fail")
    return x + 1


@workflow
def flaky_workflow(x: int) -> int:
    return flaky(x=x)


@task
def explode(x: int) -> int:
    print("exploding now", flush=True)
    raise ValueError("no values today")


@workflow
def failing_workflow(x: int) -> int:
    return explode(x=x)


@task(timeout=20.0)
def too_slow(x: int) -> int:
    print("starting the long part", flush=True)
    time.sleep(60)
    return x


@workflow
def timeout_workflow(x: int) -> int:
    return too_slow(x=x)


@task
def nap(x: int) -> int:
    print("napping", flush=True)
    time.sleep(60)
    return x


@workflow
def slow_workflow(x: int) -> int:
    return nap(x=x)


@task
def counted(marker_prefix: str) -> int:
    with fsspec.open(f"{marker_prefix}/{uuid.uuid4().hex}", "w") as handle:
        handle.write("ran")
    print("counted: working", flush=True)
    time.sleep(10)
    return 1


@workflow
def counted_workflow(marker_prefix: str) -> int:
    return counted(marker_prefix=marker_prefix)


project = Project("{project}", domains=["development"])
dev = project.domain("development")
for wf in (standard_scale_workflow, files_and_map, flaky_workflow, failing_workflow, timeout_workflow,
           slow_workflow, counted_workflow):
    dev.register(wf)
'''
