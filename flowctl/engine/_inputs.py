"""Execution inputs: parse command-line values by type, merge launch plan defaults and fixed inputs,
validate, and report every problem at once."""

from __future__ import annotations

import json
from collections.abc import Mapping

from flowctl._errors import DiagnosticCollector, InputError
from flowctl.spec import InterfaceSpec, Json, LaunchPlanSpec, TypeSpec

_TEXT_KINDS = frozenset({"str", "datetime", "date", "timedelta", "file", "directory", "bytes", "enum"})


def parse_value(text: str, spec: TypeSpec | None) -> Json:
    """A command-line value for an input of type ``spec``: text for str-like types, else JSON."""
    kinds = {v.kind for v in spec.args} if spec is not None and spec.kind == "union" else {spec.kind if spec else "any"}
    if kinds <= _TEXT_KINDS:
        return text
    if kinds & {"bool"}:
        truth = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.strip().lower() in truth:
            return truth[text.strip().lower()]
    try:
        return json.loads(text)
    except ValueError:
        return text  # validation names the expected type


def parse_assignments(pairs: list[str], interface: InterfaceSpec) -> dict[str, Json]:
    """``NAME=VALUE`` strings (``--input``) to values typed by ``interface``."""
    values: dict[str, Json] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise InputError(f"Invalid --input `{pair}`", detail="Write inputs as --input NAME=VALUE.")
        spec = interface.input(name)
        values[name] = parse_value(text, spec.type if spec else None)
    return values


def parse_extra_args(args: list[str], interface: InterfaceSpec) -> dict[str, Json]:
    """``--NAME VALUE`` / ``--NAME=VALUE`` pairs left over by the command parser."""
    values: dict[str, Json] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise InputError(f"Unexpected argument `{arg}`", detail="Give inputs as --NAME VALUE or --input NAME=VALUE.")
        name, sep, text = arg[2:].partition("=")
        if not sep:
            if i + 1 >= len(args):
                raise InputError(f"Input --{name} has no value", detail=f"Write --{name} VALUE.")
            text, i = args[i + 1], i + 1
        name = name.replace("-", "_") if interface.input(name) is None else name
        spec = interface.input(name)
        values[name] = parse_value(text, spec.type if spec else None)
        i += 1
    return values


def merge_inputs(
    interface: InterfaceSpec,
    given: Mapping[str, Json],
    *,
    launch_plan: LaunchPlanSpec | None = None,
    address: str = "",
) -> dict[str, Json]:
    """Workflow defaults < launch plan defaults < given < fixed; every problem reported at once."""
    problems = DiagnosticCollector()
    fixed = dict(launch_plan.fixed_inputs) if launch_plan else {}
    known = {i.name for i in interface.inputs}
    for name in given:
        if name in fixed:
            problems.add(
                f"Input `{name}` is fixed by the launch plan",
                f"The launch plan sets {name}={json.dumps(fixed[name])} and it cannot be overridden. "
                "Use another launch plan, or drop the input.",
                address=address,
            )
        elif name not in known:
            problems.add(
                f"Unknown input `{name}`",
                f"The workflow takes: {', '.join(sorted(known)) or '(no inputs)'}.",
                address=address,
            )
    merged: dict[str, Json] = {i.name: i.default for i in interface.inputs if i.has_default}
    if launch_plan:
        merged.update(launch_plan.default_inputs)
    merged.update({k: v for k, v in given.items() if k in known and k not in fixed})
    merged.update(fixed)
    for spec in interface.inputs:
        if spec.name not in merged:
            problems.add(
                f"Missing required input `{spec.name}` ({spec.type})",
                f"Give it with --{spec.name} VALUE or --input {spec.name}=VALUE.",
                address=address,
            )
        else:
            problem = check_value(spec.type, merged[spec.name], spec.name)
            if problem:
                problems.add(problem[0], problem[1], address=address)
    problems.raise_if_any(InputError)
    return merged


def check_value(spec: TypeSpec, value: Json, name: str) -> tuple[str, str] | None:
    """(summary, detail) when ``value`` is not a valid ``spec``."""
    from flowctl.types import validate_json_against

    try:
        validate_json_against(spec, value, where=f"input `{name}`")
    except InputError as exc:
        d = exc.diagnostics[0]
        return d.summary, d.detail
    return None
