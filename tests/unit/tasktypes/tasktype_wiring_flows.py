"""Fixture module: container and shell tasks wired into workflows, correctly and not."""

from __future__ import annotations

from flowctl import task, workflow
from flowctl.tasktypes import ContainerTask, ShellTask

measure = ContainerTask("measure", image="busybox", command=["sh", "-c", "echo 3 > $0/n", "{{ .outputs_dir }}"],
                        inputs={}, outputs={"n": int})
label = ShellTask("label", script="echo 'n={{ inputs.n }}' > {{ outputs.text }}", inputs={"n": int},
                  outputs={"text": str})


@task
def name() -> str:
    return "x"


@workflow
def good() -> str:
    return label(n=measure())


@workflow
def bad_type() -> str:
    return label(n=name())


@workflow
def bad_input() -> str:
    return label(m=measure())
