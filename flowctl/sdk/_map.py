"""``map_task(task, concurrency=..., min_success_ratio=...)``: run a task once per item of list inputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Optional

from flowctl._errors import ExecutionError, ManifestError
from flowctl.sdk._interface import Interface, Output, Param
from flowctl.sdk._promise import active_trace
from flowctl.sdk._source import frame_location
from flowctl.sdk._task import TaskDefinition, definition_of
from flowctl.spec import MapSpec, TypeSpec


@dataclass(frozen=True, eq=False)
class MapTask:
    """A task mapped over lists: every input becomes ``list[T]``, every output ``list[T]``.

    With ``min_success_ratio < 1`` failed items are tolerated and their outputs are None
    (outputs become ``list[T | None]``).
    """

    task: TaskDefinition
    concurrency: int | None = None
    min_success_ratio: float = 1.0

    @property
    def name(self) -> str:
        return self.task.name

    @cached_property
    def spec(self) -> MapSpec:
        return MapSpec(concurrency=self.concurrency, min_success_ratio=self.min_success_ratio)

    @cached_property
    def interface(self) -> Interface:
        base = self.task.interface
        inputs = tuple(
            Param(p.name, list[p.py_type], TypeSpec(kind="list", args=(p.spec,)), p.has_default, None, None)  # type: ignore[name-defined]
            for p in base.inputs
        )
        outputs = []
        for out in base.outputs:
            item_type: Any = out.py_type
            item_spec = out.spec
            if self.min_success_ratio < 1.0:
                item_type = Optional[item_type]  # noqa: UP045 - built at run time
                if item_spec.kind != "union" or TypeSpec(kind="none") not in item_spec.args:
                    item_spec = TypeSpec(kind="union", args=(item_spec, TypeSpec(kind="none")))
            outputs.append(Output(out.name, list[item_type], TypeSpec(kind="list", args=(item_spec,))))
        return Interface(inputs, tuple(outputs), base.style, base.return_type)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """In a workflow body: a map node. Elsewhere: a plain loop over the items."""
        trace = active_trace()
        if trace is not None:
            return trace.call(self, args, kwargs, frame_location(1))
        lengths = {len(v) for v in kwargs.values()}
        if len(lengths) > 1:
            raise ExecutionError(f"map_task({self.name}): the input lists have different lengths {sorted(lengths)}")
        count = lengths.pop() if lengths else 0
        results = [self.task.function(**{k: v[i] for k, v in kwargs.items()}) for i in range(count)]
        style = self.task.interface.style
        if style == "none":
            return None
        if style == "single":
            return results
        return tuple(list(column) for column in zip(*results, strict=True)) if results else tuple(
            [] for _ in self.task.interface.outputs
        )


def map_task(task: Any, *, concurrency: int | None = None, min_success_ratio: float = 1.0) -> MapTask:
    """Map ``task`` over lists: ``map_task(square, concurrency=4)(x=[1, 2, 3])``.

    ``concurrency`` bounds how many items run at once (None: no bound); ``min_success_ratio`` is
    the fraction of items that must succeed (failed items yield None).
    """
    source = frame_location(1)
    definition = definition_of(task)
    problems = []
    if not isinstance(definition, TaskDefinition):
        raise ManifestError(f"map_task needs a @task, got `{getattr(definition, 'name', definition)}`", source=source)
    if not definition.interface.inputs:
        problems.append(f"`{definition.name}` has no inputs to map over")
    if concurrency is not None and (isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1):
        problems.append(f"concurrency must be a whole number >= 1 or None, got {concurrency!r}")
    if isinstance(min_success_ratio, bool) or not isinstance(min_success_ratio, int | float) or not 0 < min_success_ratio <= 1:
        problems.append(f"min_success_ratio must be in (0, 1], got {min_success_ratio!r}")
    if problems:
        raise ManifestError(f"Invalid map_task: {'; '.join(problems)}", source=source)
    return MapTask(definition, concurrency, float(min_success_ratio))
