"""``flowctl plan --json``: one versioned document (format documented in docs/plan-format.md).

The human and markdown renderers read this same document, so the views cannot disagree.
"""

from __future__ import annotations

from typing import Any

from flowctl.plans._model import ACTION_ORDER, Plan, PromotionState

# The last plan's dumped changes: apply renders a plan for the terminal and again for the history
# (Plan is frozen, so the dump stays valid; each call gets its own copies of the items).
_LAST: list[tuple[Plan, list[dict[str, Any]]]] = []


def _change_items(plan: Plan) -> list[dict[str, Any]]:
    if _LAST and _LAST[0][0] is plan:
        return [dict(item) for item in _LAST[0][1]]
    changes = []
    for change in plan.visible_changes:
        item = change.model_dump(mode="json")
        item["symbol"] = change.action.symbol
        changes.append(item)
    _LAST[:] = [(plan, changes)]
    return [dict(item) for item in changes]


def render_plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-compatible dict (``desired_state`` is left out: it lives in plan files)."""
    counts = plan.counts()
    changes = _change_items(plan)
    return {
        "format_version": plan.format_version,
        "mode": plan.mode.value,
        "registry": {"lineage": plan.lineage, "serial": plan.base_serial},
        "manifest": {"id": plan.manifest_id, "version_source": plan.version_source},
        "created_at": plan.created_at,
        "targets": list(plan.targets),
        "summary": {
            **counts,
            "text": plan.summary(),
            "has_changes": plan.has_changes,
            "breaking": len(plan.breaking),
            "promotions_held": len(plan.held),
        },
        "legend": [{"action": a.value, "symbol": a.symbol, "meaning": a.legend}
                   for a in ACTION_ORDER if counts[a.value]],
        "changes": changes,
        "schedule_forecasts": [f.model_dump(mode="json") for f in plan.forecasts],
        "compatibility": [f.model_dump(mode="json") for f in plan.compatibility],
        "warnings": [w.model_dump(mode="json") for w in plan.warnings],
        # promotions that move, wait or are held (one that is current has nothing to say)
        "promotions": [{"address": p.address, **p.model_dump(mode="json")} for p in plan.promotions
                       if p.state is not PromotionState.CURRENT or p.next_version is not None],
    }
