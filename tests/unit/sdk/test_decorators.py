"""@task / @workflow: definitions attached, options validated at decoration time with file:line."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any, NamedTuple

import pytest

from flowctl import Cache, PodTemplate, Resources, Secret, task, workflow
from flowctl._errors import ManifestError
from flowctl.sdk import TaskDefinition, WorkflowDefinition, definition_of


class Split(NamedTuple):
    train: list[int]
    test: list[int]


@task(
    cache=True,
    retries=2,
    timeout=timedelta(seconds=30),
    requests=Resources(cpu="500m", mem="1Gi"),
    limits=Resources(cpu=1, mem="2Gi", gpu=1),
    container_image="python:3.11",
    environment={"A": "1"},
    secret_requests=[Secret(group="db", key="password"), "api/token"],
    pod_template=PodTemplate(pod_spec={"nodeSelector": {"gpu": "yes"}}),
    labels={"team": "ml"},
    annotations={"owner": "me"},
)
def split(values: list[int], ratio: float = 0.5) -> Split:
    cut = int(len(values) * ratio)
    return Split(values[:cut], values[cut:])


@task
def plain(x: int) -> int:
    return x + 1


@workflow
def wf(values: list[int]) -> list[int]:
    return split(values=values).train


def test_function_is_returned_unchanged_and_runs_as_python() -> None:
    assert plain(x=1) == 2
    assert split(values=[1, 2, 3, 4]) == Split([1, 2], [3, 4])
    definition = definition_of(plain)
    assert isinstance(definition, TaskDefinition) and definition.function is plain


def test_task_spec() -> None:
    spec = definition_of(split).spec  # type: ignore[union-attr]
    assert spec.name == f"{__name__}.split"
    assert [o.name for o in spec.interface.outputs] == ["train", "test"]
    ratio = spec.interface.inputs[1]
    assert ratio.has_default and ratio.default == 0.5
    assert spec.retries == 2 and spec.timeout_seconds == 30.0
    assert spec.requests.cpu == "500m" and spec.limits.gpu == 1 and spec.limits.cpu == "1"
    assert [s.group for s in spec.secret_requests] == ["db", "api"]
    assert spec.pod_template is not None and spec.pod_template["primary_container_name"] == "primary"
    assert spec.cache is not None and spec.cache.version.startswith("auto-")
    assert spec.code is not None and spec.code.module == __name__ and spec.code.qualname == "split"
    assert spec.code.code_digest.startswith("sha256:")


def test_workflow_definition() -> None:
    definition = definition_of(wf)
    assert isinstance(definition, WorkflowDefinition)
    assert definition.name == f"{__name__}.wf"


def test_definition_of_a_plain_function() -> None:
    def not_a_task() -> None:
        pass

    with pytest.raises(ManifestError, match=r"is not a flowctl task or workflow — was it decorated with @flowctl.task\?"):
        definition_of(not_a_task)


def _raises(fn: Any, match: str) -> str:
    with pytest.raises(ManifestError, match=match) as info:
        fn()
    return str(info.value)


def test_unknown_option_names_the_line() -> None:
    line = sys._getframe().f_lineno + 2
    text = _raises(
        lambda: task(cahce=True),  # type: ignore[call-overload]
        r"Unknown option `cahce` for @task",
    )
    assert "Did you mean `cache`?" in text and f"test_decorators.py:{line}" in text


def test_nested_function_is_rejected() -> None:
    def define() -> None:
        @task
        def inner(x: int) -> int:
            return x

    text = _raises(define, r"is not defined at module level")
    assert "test_decorators.py:" in text


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"retries": -1}, "Invalid retries"),
        ({"timeout": 0}, "Invalid timeout"),
        ({"cache_version": "1"}, "sets cache_version but caching is off"),
        ({"cache": Cache(ignored_inputs=["nope"])}, "ignores `nope`, which is not an input"),
        ({"requests": Resources(cpu="2"), "limits": Resources(cpu="1")}, r"requests.cpu=2 is more than limits.cpu=1"),
        ({"environment": {"A": 1}}, "`environment` must map str to str"),
    ],
)
def test_invalid_options(options: dict[str, Any], match: str) -> None:
    def apply() -> None:
        task(**options)(plain.__wrapped__ if hasattr(plain, "__wrapped__") else _fresh)

    _raises(apply, match)


def _fresh(x: int) -> int:
    return x


def test_resources_are_validated() -> None:
    text = _raises(lambda: Resources(cpu="lots"), "Invalid Resources")
    assert "not a Kubernetes quantity" in text
    _raises(lambda: Resources(gpu=1.5), "gpu must be a whole number")  # type: ignore[arg-type]


def test_missing_return_annotation() -> None:
    def undecorated(x: int):  # type: ignore[no-untyped-def]
        return x

    undecorated.__qualname__ = "undecorated"
    _raises(lambda: task(undecorated), "has no return annotation")


def test_unsupported_type_names_parameter() -> None:
    def bad(x: set[int]) -> None:
        pass

    bad.__qualname__ = "bad"
    text = _raises(lambda: task(bad), r"Input `x` of task `.*bad` has the unsupported type `set\[int\]`")
    assert "test_decorators.py:" in text


def test_pinned_cache_version() -> None:
    def pinned(x: int) -> int:
        return x

    pinned.__qualname__ = "pinned"
    task(cache=True, cache_version="v7")(pinned)
    assert definition_of(pinned).spec.cache.version == "v7"  # type: ignore[union-attr]
