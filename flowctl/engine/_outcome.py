"""What driving one node in a pass comes to: still running, succeeded with outputs, or failed.

Below the pass (``_pass``) and the node kinds it drives in their own modules (``_gates``), which
both return it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from flowctl.spec import Json

Phase = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class Outcome:
    phase: Phase
    outputs: dict[str, Json] = field(default_factory=dict)
    error: dict[str, Json] | None = None


RUNNING = Outcome("running")
