"""Interface compatibility between the old and the new active version of a launch plan.

What callers of a launch plan can pass is the workflow's inputs minus the launch plan's fixed
inputs; an input is optional when the workflow or the launch plan gives it a default. Breaking:
an input removed, an input whose type no longer accepts the old values, a new required input, an
input that lost its default. Safe: a new optional input, a widened type.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowctl.plans._model import CompatFinding
from flowctl.spec import Json, TypeSpec, is_assignable


@dataclass(frozen=True)
class EffectiveInput:
    name: str
    type: TypeSpec
    optional: bool


def effective_inputs(workflow_spec: dict[str, Json], launch_plan_spec: dict[str, Json] | None) -> dict[str, EffectiveInput]:
    """The inputs a caller of the launch plan (or of the workflow when ``launch_plan_spec`` is None) sees."""
    fixed: dict[str, Json] = (launch_plan_spec or {}).get("fixed_inputs") or {}
    defaults: dict[str, Json] = (launch_plan_spec or {}).get("default_inputs") or {}
    result: dict[str, EffectiveInput] = {}
    for raw in (workflow_spec.get("interface") or {}).get("inputs") or ():
        name = raw["name"]
        if name in fixed:
            continue
        optional = bool(raw.get("has_default")) or name in defaults
        result[name] = EffectiveInput(name, TypeSpec.model_validate(raw["type"]), optional)
    return result


def compare_interfaces(
    address: str,
    from_version: str,
    to_version: str,
    old: dict[str, EffectiveInput],
    new: dict[str, EffectiveInput],
) -> list[CompatFinding]:
    """Findings for every input that differs, breaking ones and safe ones."""
    findings: list[CompatFinding] = []

    def add(name: str, kind: str, breaking: bool, detail: str) -> None:
        findings.append(CompatFinding(address=address, from_version=from_version, to_version=to_version,
                                      input=name, kind=kind, breaking=breaking, detail=detail))

    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if after is None and before is not None:
            add(name, "removed", True, f"input `{name}` ({before.type}) was removed; callers that pass it will fail")
        elif before is None and after is not None:
            if after.optional:
                add(name, "new_optional", False, f"new input `{name}` ({after.type}) has a default")
            else:
                add(name, "new_required", True,
                    f"new input `{name}` ({after.type}) is required and has no default; existing callers and "
                    "schedules do not pass it")
        elif before is not None and after is not None:
            if not is_assignable(before.type, after.type):
                add(name, "type_changed", True,
                    f"input `{name}` changed type {before.type} -> {after.type}; old values no longer fit")
            elif before.type != after.type:
                add(name, "type_widened", False, f"input `{name}` widened {before.type} -> {after.type}")
            if before.optional and not after.optional:
                add(name, "default_removed", True,
                    f"input `{name}` lost its default; callers that omit it will fail")
    return findings
