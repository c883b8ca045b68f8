"""Small flytekit names with a direct flowctl meaning, and the ones flowctl does not offer.

``WorkflowFailurePolicy`` members are the strings ``@workflow(failure_policy=...)`` takes;
``Labels``/``Annotations`` are dicts (flytekit wraps them in models). ``eager`` and ``Artifact``
are not supported: importing them raises :class:`NotSupportedError`, which is an ``ImportError``
too (``try: from flowctl import eager`` / ``except ImportError`` keeps working) and says why and
where the migration guide is.
"""

from __future__ import annotations

from enum import StrEnum

from flowctl._errors import ManifestError

MIGRATION_GUIDE = "docs/migrating-from-flyte.md"


class WorkflowFailurePolicy(StrEnum):
    FAIL_IMMEDIATELY = "fail_immediately"
    FAIL_AFTER_EXECUTABLE_NODES_COMPLETE = "fail_after_executable_nodes_complete"


class Labels(dict[str, str]):
    """flytekit's ``Labels({...})``: a plain ``dict`` here (``labels=`` takes any mapping)."""


class Annotations(dict[str, str]):
    """flytekit's ``Annotations({...})``: a plain ``dict`` here (``annotations=`` takes any mapping)."""


class NotSupportedError(ManifestError, ImportError):
    """A flytekit feature flowctl does not have; the message says what to use instead."""

    code = "USER:NotSupported"


NOT_SUPPORTED: dict[str, str] = {
    "eager": "`eager` workflows (async Python driving tasks at run time) are not supported: flowctl compiles "
    "every workflow to a DAG that `flowctl plan` can show and diff. Use @dynamic for a graph that depends on "
    "run-time values, or conditional(...) for branches.",
    "Artifact": "`Artifact` (Flyte's artifact service: named, versioned outputs and triggers) is not supported: "
    "pass outputs between workflows through launch plan inputs, or read them with `flowctl executions outputs`.",
}


def not_supported(name: str) -> NotSupportedError:
    return NotSupportedError(
        f"flowctl does not support flytekit's `{name}`",
        detail=f"{NOT_SUPPORTED[name]} See {MIGRATION_GUIDE} for every flytekit name and its flowctl counterpart.",
    )
