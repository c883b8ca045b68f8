"""The public names of flowctl.plans.drift are pinned."""

from __future__ import annotations

import flowctl.plans.drift as drift


def test_exported_members() -> None:
    assert drift.__all__ == sorted(drift.__all__, key=lambda n: (not n.isupper(), n))
    assert set(drift.__all__) == {
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
    }
    for name in drift.__all__:
        assert getattr(drift, name) is not None
