"""Gate nodes in local runs: ``sleep`` is skipped, signals come from ``--signal`` or a prompt.

``flowctl run ... --signal NAME=VALUE`` answers the gate waiting for ``NAME`` (an approval takes
yes/no, true/false); without one, a run on a terminal asks; otherwise the run stops with a message
naming the signal and how to give it. A rejected approval fails the node.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flowctl._errors import InputError
from flowctl.sdk._gates import parse_approval
from flowctl.spec import NodeSpec

Prompt = Callable[[str], str]
log = logging.getLogger("flowctl.local")


class GateAnswers:
    """Where a local run gets its signals: given values first, then the prompt (a terminal)."""

    def __init__(self, signals: Mapping[str, str] | None = None, prompt: Prompt | None = None) -> None:
        self.signals = dict(signals or {})
        self.prompt = prompt

    def answer(self, name: str, question: str) -> str:
        if name in self.signals:
            return self.signals[name]
        if self.prompt is None:
            raise InputError(
                f"The workflow waits for the signal `{name}` and this run cannot ask for it",
                detail=f"Give it on the command line: --signal {name}=VALUE (approvals: --signal {name}=yes), "
                "or run on a terminal to be asked.",
            )
        return self.prompt(question)


def run_gate(node: NodeSpec, answers: GateAnswers, inputs: dict[str, Any], py_type: Any) -> tuple[dict[str, Any], str | None]:
    """(outputs, failure message or None) of a gate node in a local run."""
    from flowctl.types import parse_cli_value

    gate = node.gate
    assert gate is not None
    if gate.kind == "sleep":
        log.info("node %s: sleep of %gs skipped in a local run", node.id, gate.duration_seconds or 0)
        return {}, None
    if gate.kind == "signal":
        text = answers.answer(gate.name, f"Value for signal `{gate.name}` ({gate.type}): ")
        return {"o0": parse_cli_value(text, py_type, name=gate.name)}, None
    text = answers.answer(gate.name, f"Approve `{gate.name}`{_shown(inputs)}? [yes/no]: ")
    if not parse_approval(text, name=gate.name):
        return {}, f"approval `{gate.name}` was rejected"
    return dict(inputs), None


def _shown(inputs: dict[str, Any]) -> str:
    if "o0" not in inputs:
        return ""
    text = repr(inputs["o0"])
    return f" (value: {text if len(text) < 200 else text[:197] + '...'})"
