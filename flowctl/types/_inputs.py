"""Execution inputs at the boundary: one reader for ``flowctl run`` (local and remote) and ``launch``.

Inputs come from, in increasing precedence, ``--inputs FILE.json|yaml`` (a mapping of names to
values), ``-i/--input NAME=VALUE`` and the typed options ``--NAME VALUE`` generated from the
interface. A command-line value is plain text for str-like types and JSON otherwise (read by the
one safe parser, :mod:`flowctl._jsontext`). :func:`merge_inputs` then applies the rules every
execution follows: workflow defaults < launch plan defaults < given < fixed, a fixed input given is
an error, every value checked against its type. All problems are reported at once.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from flowctl._errors import Diagnostic, DiagnosticCollector, InputError
from flowctl._jsontext import JsonSyntaxError, load_data_file, load_json_text
from flowctl.spec import InterfaceSpec, Json, LaunchPlanSpec, TypeSpec
from flowctl.types._engine import from_json_value, type_spec_of, validate_json_against

TEXT_KINDS = frozenset({"str", "datetime", "date", "timedelta", "file", "directory", "bytes", "enum"})
_TRUTH = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _kinds(spec: TypeSpec | None) -> set[str]:
    if spec is None:
        return {"any"}
    return {v.kind for v in spec.args} if spec.kind == "union" else {spec.kind}


def parse_input_text(text: str, spec: TypeSpec | None, *, name: str) -> Json:
    """A command-line value for an input of type ``spec``: text for str-like types, else JSON.

    Raises InputError when the text cannot be a value of that type at all (bad JSON for a list,
    NaN, too deep); whether the value fits the type is :func:`merge_inputs`' check.
    """
    kinds = _kinds(spec)
    if kinds <= TEXT_KINDS and "enum" not in kinds:
        return text
    lowered = text.strip().lower()
    if kinds & {"bool"} and lowered in _TRUTH:
        return _TRUTH[lowered]
    try:
        value = load_json_text(text, where=f"--{name}")
    except JsonSyntaxError:
        if kinds & (TEXT_KINDS | {"dataframe"}) or "any" in kinds:  # a data frame is given by its URL
            return text
        raise InputError(f"--{name}: {text[:80]!r} is not valid JSON for `{spec}`",
                         detail=f"Give the value as JSON, e.g. --{name} '{example(spec)}'.") from None
    return text if "enum" in kinds and isinstance(value, dict | list) else value


def parse_cli_value(text: str, py_type: Any, *, name: str) -> Any:
    """A command-line value as a Python value of ``py_type``: the boundary reader, then the type check."""
    spec = type_spec_of(py_type, where=f"input `{name}`")
    data = parse_input_text(text, spec, name=name)
    validate_json_against(spec, data, where=f"--{name}")
    return from_json_value(data, py_type)


def example(spec: TypeSpec | None) -> str:
    """A value of ``spec`` as JSON text, for messages."""
    if spec is None:
        return '"..."'
    if spec.kind == "list":
        return f"[{example(spec.args[0])}]"
    if spec.kind == "map":
        return '{"key": ' + example(spec.args[0]) + "}"
    if spec.kind == "struct":
        return "{" + ", ".join(f'"{n}": {example(t)}' for n, t in spec.fields[:3]) + "}"
    if spec.kind == "union":
        return example(spec.args[0])
    return {"int": "1", "float": "1.5", "str": '"text"', "bool": "true", "none": "null"}.get(spec.kind, '"..."')


class _Reader:
    """Collects given values and the problems met while reading them."""

    def __init__(self, interface: InterfaceSpec, address: str) -> None:
        self.interface = interface
        self.address = address
        self.values: dict[str, Json] = {}
        self.unreadable: set[str] = set()
        self.problems = DiagnosticCollector()

    def text(self, name: str, text: str) -> None:
        spec = self.interface.input(name)
        try:
            self.values[name] = parse_input_text(text, spec.type if spec else None, name=name)
        except InputError as exc:
            self.unreadable.add(name)
            self.problems.diagnostics.extend(replace(d, address=d.address or self.address) for d in exc.diagnostics)

    def file(self, path: str) -> None:
        try:
            data = load_data_file(Path(path), what="inputs file")
        except InputError as exc:
            self.problems.diagnostics.extend(exc.diagnostics)
            return
        if not isinstance(data, dict):
            self.problems.add(f"Inputs file {path} does not hold a mapping of input names to values",
                              'Write e.g. {"epochs": 3, "values": [1.0, 2.0]} (JSON) or `epochs: 3` (YAML).',
                              source=path)
            return
        self.values.update(data)

    def assignment(self, pair: str) -> None:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            self.problems.add(f"Invalid --input {pair[:80]!r}", "Write inputs as --input NAME=VALUE.")
            return
        self.text(self._known(name), text)

    def options(self, args: Sequence[str]) -> None:
        """``--NAME VALUE`` / ``--NAME=VALUE`` tokens left over by the command parser."""
        index = 0
        while index < len(args):
            token = args[index]
            index += 1
            if not token.startswith("--") or token == "--":
                self.problems.add(f"Unexpected argument {token[:80]!r}",
                                  "Give inputs as --NAME VALUE, --input NAME=VALUE or --inputs FILE.")
                continue
            name, eq, text = token[2:].partition("=")
            name = self._known(name)
            spec = self.interface.input(name)
            if not eq:
                is_flag = spec is not None and _kinds(spec.type) <= {"bool", "none"}
                if index < len(args) and not (is_flag and args[index].startswith("--")):
                    text, index = args[index], index + 1
                elif is_flag:
                    text = "true"
                else:
                    self.problems.add(f"--{name} needs a value", f"Write --{name} VALUE or --input {name}=VALUE.")
                    self.unreadable.add(name)
                    continue
            self.text(name, text)

    def _known(self, name: str) -> str:
        """``my-input`` names ``my_input`` when the interface has no ``my-input``."""
        return name.replace("-", "_") if self.interface.input(name) is None else name


def read_inputs(
    interface: InterfaceSpec,
    *,
    args: Sequence[str] = (),
    assignments: Iterable[str] = (),
    files: Iterable[str] = (),
    launch_plan: LaunchPlanSpec | None = None,
    address: str = "",
) -> dict[str, Json]:
    """The inputs given on a command line, checked by :func:`merge_inputs`' rules (all problems at once).

    Returns only what was given (JSON values); defaults and fixed inputs are the launch's business.
    """
    reader = _Reader(interface, address)
    for path in files:
        reader.file(path)
    for pair in assignments:
        reader.assignment(pair)
    reader.options(args)
    problems = reader.problems.diagnostics + _merge(interface, reader.values, launch_plan, address,
                                                     skip=reader.unreadable)[1]
    if problems:
        raise InputError(diagnostics=problems)
    return reader.values


def merge_inputs(
    interface: InterfaceSpec,
    given: Mapping[str, Json],
    *,
    launch_plan: LaunchPlanSpec | None = None,
    address: str = "",
) -> dict[str, Json]:
    """Workflow defaults < launch plan defaults < given < fixed; every problem reported at once."""
    merged, problems = _merge(interface, given, launch_plan, address)
    if problems:
        raise InputError(diagnostics=problems)
    return merged


def _merge(interface: InterfaceSpec, given: Mapping[str, Json], launch_plan: LaunchPlanSpec | None, address: str,
           *, skip: Iterable[str] = ()) -> tuple[dict[str, Json], list[Diagnostic]]:
    problems = DiagnosticCollector()
    fixed = dict(launch_plan.fixed_inputs) if launch_plan else {}
    known = [i.name for i in interface.inputs]
    for name in given:
        if name in fixed:
            lp_name = launch_plan.name if launch_plan else ""
            problems.add(f"Input `{name}` is fixed by launch plan `{lp_name}` and cannot be overridden",
                         f"The launch plan sets {name}={json.dumps(fixed[name])}. Use another launch plan (or the "
                         "workflow itself) to vary it, or drop the input.", address=address)
        elif name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            problems.add(f"Unknown input `{name}`", (f"Did you mean --{close[0]}? " if close else "")
                         + f"It takes: {', '.join(sorted(known)) or '(no inputs)'}.", address=address)
    merged: dict[str, Json] = {i.name: i.default for i in interface.inputs if i.has_default}
    if launch_plan:
        merged.update(launch_plan.default_inputs)
    merged.update({k: v for k, v in given.items() if k in known and k not in fixed})
    merged.update(fixed)
    for spec in interface.inputs:
        if spec.name in skip:
            continue
        if spec.name not in merged:
            problems.add(f"Missing required input `{spec.name}` ({spec.type})",
                         f"Give it with --{spec.name} VALUE or --input {spec.name}=VALUE.", address=address)
            continue
        problem = check_value(spec.type, merged[spec.name], spec.name)
        if problem:
            problems.add(problem[0], problem[1], address=address)
    return merged, problems.diagnostics


def check_value(spec: TypeSpec, value: Json, name: str) -> tuple[str, str] | None:
    """(summary, detail) when ``value`` is not a valid ``spec``."""
    try:
        validate_json_against(spec, value, where=f"input `{name}`")
    except InputError as exc:
        d = exc.diagnostics[0]
        return d.summary, d.detail
    return None
