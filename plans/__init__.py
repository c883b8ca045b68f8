"""Desired state vs registry: plan model, diff, renderers, saved plans, apply.

Computing a plan is pure (``compute_plan``); renderers turn its JSON document into text or
markdown; ``apply_plan`` is the only part that writes, through the store interface.
"""

from flowctl.plans._apply import ApplyIdentity, ApplyResult, apply_plan, handles, phase_of
from flowctl.plans._diff import compute_plan
from flowctl.plans._gates import EXIT_GATE, PromotionGateError
from flowctl.plans._model import (
    FORMAT_VERSION,
    NO_CHANGES,
    Action,
    AttributeChange,
    Change,
    CompatFinding,
    FireTime,
    GateStatus,
    ObjectType,
    Plan,
    PlanMode,
    PlanWarning,
    PromotionState,
    PromotionStep,
    Reason,
    ScheduleForecast,
    VersionChange,
)
from flowctl.plans._planfile import SavedPlan, check_fresh, is_plan_file, load_plan, save_plan
from flowctl.plans._promote import promotion_desired_state
from flowctl.plans._render_json import render_plan_json
from flowctl.plans._render_markdown import render_plan_markdown
from flowctl.plans._render_text import render_plan_text

__all__ = [
    "EXIT_GATE",
    "FORMAT_VERSION",
    "NO_CHANGES",
    "Action",
    "ApplyIdentity",
    "ApplyResult",
    "AttributeChange",
    "Change",
    "CompatFinding",
    "FireTime",
    "GateStatus",
    "ObjectType",
    "Plan",
    "PlanMode",
    "PlanWarning",
    "PromotionGateError",
    "PromotionState",
    "PromotionStep",
    "Reason",
    "SavedPlan",
    "ScheduleForecast",
    "VersionChange",
    "apply_plan",
    "check_fresh",
    "compute_plan",
    "handles",
    "is_plan_file",
    "load_plan",
    "phase_of",
    "promotion_desired_state",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
    "save_plan",
]
