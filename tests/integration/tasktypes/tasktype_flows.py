"""Workflows of every task type, run end to end by the integration tests (``flowctl run`` and the
controller with the local provider)."""

from __future__ import annotations

import sys

from flowctl import dynamic, map_task, task, workflow
from flowctl.tasktypes import ContainerTask, ShellTask

PY = sys.executable

rect_area = ContainerTask(
    "rect_area", image="python:3.12-slim",
    command=[PY, "-c", "import sys, pathlib; pathlib.Path(sys.argv[3], 'area').write_text(str(int(sys.argv[1]) * int(sys.argv[2])))"],
    arguments=["{{ .inputs.w }}", "{{ .inputs.h }}", "{{ .outputs_dir }}"],
    inputs={"w": int, "h": int}, outputs={"area": int},
)

describe = ShellTask(
    "describe",
    script="echo 'area is {{ inputs.area }} for {{ inputs.label }}' > {{ outputs.text }}",
    inputs={"area": int, "label": str}, outputs={"text": str},
)

fails = ShellTask("fails", script="echo 'disk full' >&2\nexit 7", inputs={"x": int}, outputs={})


odd_only = ShellTask(
    "odd_only",
    script="if [ $(({{ inputs.x }} % 2)) -eq 0 ]; then echo 'even input' >&2; exit 1; fi\necho {{ inputs.x }} > {{ outputs.y }}",
    inputs={"x": int}, outputs={"y": int},
)


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def counted(x: int, counter: str) -> int:
    with open(counter, "a") as handle:
        handle.write(f"{x}\n")
    return x


@dynamic
def count_all(n: int, counter: str) -> list[int]:
    return [counted(x=i, counter=counter) for i in range(n)]


@workflow
def counting(n: int, counter: str) -> list[int]:
    return count_all(n=n, counter=counter)


@dynamic
def areas(sizes: list[int]) -> list[int]:
    """One container node per size: the fan-out is decided by the input."""
    return [rect_area(w=s, h=s) for s in sizes]


@dynamic
def areas_total(sizes: list[int]) -> int:
    return total(xs=areas(sizes=sizes))


@workflow
def container_and_shell(w: int, h: int, label: str) -> str:
    return describe(area=double(x=rect_area(w=w, h=h)), label=label)


@workflow
def mapped_areas(ws: list[int]) -> list[int]:
    return map_task(rect_area, concurrency=2)(w=ws, h=ws)


@workflow
def tolerant_map(xs: list[int]) -> list[int | None]:
    return map_task(odd_only, concurrency=2, min_success_ratio=0.5)(x=xs)


@workflow
def dynamic_areas(sizes: list[int]) -> int:
    return total(xs=areas(sizes=sizes))


@workflow
def nested_dynamic(sizes: list[int]) -> int:
    return areas_total(sizes=sizes)


@workflow
def failing(x: int) -> None:
    fails(x=x)
