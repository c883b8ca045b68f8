"""``LaunchPlan``: a named template for executions of one workflow, checked against its interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

from flowctl._errors import DiagnosticCollector, FlowctlError, ManifestError
from flowctl._names import ENTITY, check, check_labels, summary
from flowctl.sdk._interface import Interface, Param
from flowctl.sdk._notifications import Email, Slack, Webhook
from flowctl.sdk._promise import active_trace
from flowctl.sdk._schedule import CronSchedule, FixedRate
from flowctl.sdk._source import frame_location
from flowctl.sdk._task import Definition, definition_of
from flowctl.sdk._workflow import WorkflowDefinition
from flowctl.spec import Json, LaunchPlanSpec
from flowctl.types import from_json_value, to_json_value, type_name


@dataclass(frozen=True, eq=False)
class LaunchPlan(Definition):
    """A launch plan. Create with :meth:`get_or_create`; inputs are kept as canonical JSON values."""

    workflow: WorkflowDefinition
    name: str
    default_inputs: Mapping[str, Json] = field(default_factory=dict)
    fixed_inputs: Mapping[str, Json] = field(default_factory=dict)
    schedule: CronSchedule | FixedRate | None = None
    notifications: tuple[Email | Slack | Webhook, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    max_parallelism: int | None = None
    catchup: Literal["latest", "all", "none"] = "latest"
    skip_if_running: bool = False
    source: str = ""

    @classmethod
    def get_or_create(
        cls,
        workflow: Any,
        name: str | None = None,
        default_inputs: Mapping[str, Any] | None = None,
        fixed_inputs: Mapping[str, Any] | None = None,
        schedule: CronSchedule | FixedRate | None = None,
        notifications: Sequence[Email | Slack | Webhook] | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        max_parallelism: int | None = None,
        catchup: Literal["latest", "all", "none"] = "latest",
        skip_if_running: bool = False,
    ) -> LaunchPlan:
        """Declare a launch plan of ``workflow`` (named like the workflow when ``name`` is None).

        Checked here: inputs exist and have the right types, no input is both default and fixed, a
        scheduled plan binds every required input, the kickoff-time input is a ``datetime`` input.
        """
        source = frame_location(1)
        definition = definition_of(workflow)
        if not isinstance(definition, WorkflowDefinition):
            raise ManifestError(
                f"A launch plan needs a @workflow, got `{getattr(definition, 'name', definition)}`",
                source=source,
                detail="Wrap the task in a workflow to give it launch plans.",
            )
        lp_name = definition.name if name is None else name
        diags = DiagnosticCollector()
        problem = check(ENTITY, lp_name, "launch plan name")
        if problem:
            diags.add(summary(problem), problem, source=source)
        for problem in check_labels(labels or {}, f"launch plan `{lp_name}`"):
            diags.add(summary(problem), problem, source=source)
        interface = definition.interface
        defaults = _convert(default_inputs, interface, "default_inputs", lp_name, definition.name, diags, source)
        fixed = _convert(fixed_inputs, interface, "fixed_inputs", lp_name, definition.name, diags, source)
        for both in sorted(set(defaults) & set(fixed)):
            diags.add(
                f"Input `{both}` of launch plan `{lp_name}` is both a default and a fixed input",
                "Keep it in one of them: fixed inputs cannot be overridden, default inputs can.",
                source=source,
            )
        if schedule is not None and not isinstance(schedule, CronSchedule | FixedRate):
            diags.add(f"Invalid schedule {schedule!r}", "Use CronSchedule(...) or FixedRate(...).", source=source)
            schedule = None
        if schedule is not None:
            _check_schedule(schedule, interface, defaults, fixed, lp_name, diags, source)
        notes = tuple(notifications or ())
        for note in notes:
            if not isinstance(note, Email | Slack | Webhook):
                diags.add(f"Invalid notification {note!r}", "Use Email(...), Slack(...) or Webhook(...).", source=source)
        if max_parallelism is not None and (isinstance(max_parallelism, bool) or not isinstance(max_parallelism, int) or max_parallelism < 1):
            diags.add(f"Invalid max_parallelism={max_parallelism!r}", "Use a whole number >= 1, or None.", source=source)
        if catchup not in ("latest", "all", "none"):
            diags.add(f"Invalid catchup={catchup!r}", 'Use "latest", "all" or "none".', source=source)
        diags.raise_if_any(ManifestError)
        return cls(
            workflow=definition,
            name=lp_name,
            default_inputs=defaults,
            fixed_inputs=fixed,
            schedule=schedule,
            notifications=notes,
            labels=dict(labels or {}),
            annotations=dict(annotations or {}),
            max_parallelism=max_parallelism,
            catchup=catchup,
            skip_if_running=skip_if_running,
            source=source,
        )

    @cached_property
    def spec(self) -> LaunchPlanSpec:
        return LaunchPlanSpec(
            name=self.name,
            workflow=self.workflow.name,
            default_inputs=dict(self.default_inputs),
            fixed_inputs=dict(self.fixed_inputs),
            schedule=self.schedule.to_spec() if self.schedule is not None else None,
            notifications=tuple(n.to_spec() for n in self.notifications),
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            max_parallelism=self.max_parallelism,
            catchup=self.catchup,
            skip_if_running=self.skip_if_running,
            source=self.source,
        )

    @cached_property
    def interface(self) -> Interface:
        """What a caller may pass: the workflow's inputs minus fixed ones, with this plan's defaults."""
        params: list[Param] = []
        for param in self.workflow.interface.inputs:
            if param.name in self.fixed_inputs:
                continue
            if param.name in self.default_inputs:
                data = self.default_inputs[param.name]
                param = replace(param, has_default=True, default=from_json_value(data, param.py_type), default_json=data)
            params.append(param)
        base = self.workflow.interface
        return Interface(tuple(params), base.outputs, base.style, base.return_type)

    def resolve_inputs(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Python values for every input of the workflow: ``given`` over defaults, plus fixed ones.

        Supplying a fixed input is an error (unlike flytekit, which silently ignores it)."""
        diags = DiagnosticCollector()
        for name in given:
            if name in self.fixed_inputs:
                diags.add(
                    f"Input `{name}` is fixed by launch plan `{self.name}` and cannot be overridden",
                    f"Its value is {self.fixed_inputs[name]!r}. Use another launch plan (or the workflow itself) to vary it.",
                )
        diags.raise_if_any(_input_error())
        values = dict(given)
        for param in self.workflow.interface.inputs:
            if param.name in self.fixed_inputs:
                values[param.name] = from_json_value(self.fixed_inputs[param.name], param.py_type)
            elif param.name not in values and param.name in self.default_inputs:
                values[param.name] = from_json_value(self.default_inputs[param.name], param.py_type)
        return values

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """In a workflow body: a launch-plan node (a child execution). Elsewhere: runs the workflow as Python."""
        trace = active_trace()
        if trace is not None:
            return trace.call(self, args, kwargs, frame_location(1))
        return self.workflow.function(**self.resolve_inputs(kwargs))

    def __repr__(self) -> str:
        return f"LaunchPlan({self.name!r}, workflow={self.workflow.name!r})"


def _input_error() -> type[FlowctlError]:
    from flowctl._errors import InputError

    return InputError


def default_launch_plan(workflow: WorkflowDefinition) -> LaunchPlan:
    """The launch plan every workflow gets: named like it, no defaults beyond its signature's."""
    return LaunchPlan(workflow=workflow, name=workflow.name, source=workflow.source)


def _convert(
    values: Mapping[str, Any] | None,
    interface: Interface,
    label: str,
    lp_name: str,
    wf_name: str,
    diags: DiagnosticCollector,
    source: str,
) -> dict[str, Json]:
    converted: dict[str, Json] = {}
    names = ", ".join(p.name for p in interface.inputs) or "(none)"
    for key, value in (values or {}).items():
        param = interface.param(key)
        if param is None:
            diags.add(
                f"{label} of launch plan `{lp_name}` names `{key}`, which is not an input of workflow `{wf_name}`",
                f"Inputs: {names}.",
                source=source,
            )
            continue
        try:
            converted[key] = to_json_value(value, param.py_type)
        except FlowctlError as exc:
            diags.add(
                f"{label} of launch plan `{lp_name}`: `{key}` must be `{type_name(param.py_type)}`, got {value!r}",
                exc.diagnostics[0].detail,
                source=source,
            )
    return converted


def _check_schedule(
    schedule: CronSchedule | FixedRate,
    interface: Interface,
    defaults: Mapping[str, Json],
    fixed: Mapping[str, Json],
    lp_name: str,
    diags: DiagnosticCollector,
    source: str,
) -> None:
    kickoff = schedule.kickoff_time_input_arg
    if kickoff is not None:
        param = interface.param(kickoff)
        if param is None:
            diags.add(
                f"kickoff_time_input_arg `{kickoff}` of launch plan `{lp_name}` is not an input of its workflow",
                f"Inputs: {', '.join(p.name for p in interface.inputs) or '(none)'}.",
                source=source,
            )
        elif param.spec.kind != "datetime":
            diags.add(
                f"kickoff_time_input_arg `{kickoff}` of launch plan `{lp_name}` has type `{param.spec}`, not datetime",
                "The scheduler passes the fire time as a datetime.",
                source=source,
            )
    for param in interface.inputs:
        if param.has_default or param.name in defaults or param.name in fixed or param.name == kickoff:
            continue
        diags.add(
            f"Launch plan `{lp_name}` has a schedule but its required input `{param.name}` is not bound",
            f"A scheduled execution has nobody to ask: give `{param.name}` in default_inputs or fixed_inputs.",
            source=source,
        )
