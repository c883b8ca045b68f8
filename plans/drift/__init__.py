"""Drift: the world (registry, cluster) against what the last apply left.

Pure detection (``detect_drift``) produces a :class:`DriftReport`; ``--accept`` files suppress
known findings until they expire (``apply_acceptances``); views render the report as text, JSON,
markdown and self-contained HTML; ``accept_world`` records the world as the new baseline
(``flowctl apply --refresh-only``). The CLI is ``flowctl/cli/cmd_drift.py``.
"""

from flowctl.plans.drift._accept import apply_acceptances, load_acceptances, matches, parse_acceptances
from flowctl.plans.drift._cluster import ClusterNamespaceView, ClusterView
from flowctl.plans.drift._detect import detect_drift
from flowctl.plans.drift._model import (
    FORMAT_VERSION,
    Acceptance,
    AcceptedFinding,
    DriftReport,
    Finding,
    FindingKind,
    LastApply,
    PendingChange,
    PendingChanges,
)
from flowctl.plans.drift._refresh import accept_world, refresh_preview
from flowctl.plans.drift._render_html import render_html
from flowctl.plans.drift._render_json import render_json, render_json_document
from flowctl.plans.drift._render_markdown import render_markdown
from flowctl.plans.drift._render_text import render_text

__all__ = [
    "FORMAT_VERSION",
    "Acceptance",
    "AcceptedFinding",
    "ClusterNamespaceView",
    "ClusterView",
    "DriftReport",
    "Finding",
    "FindingKind",
    "LastApply",
    "PendingChange",
    "PendingChanges",
    "accept_world",
    "apply_acceptances",
    "detect_drift",
    "load_acceptances",
    "matches",
    "parse_acceptances",
    "refresh_preview",
    "render_html",
    "render_json",
    "render_json_document",
    "render_markdown",
    "render_text",
]
