from __future__ import annotations

from flowctl.state._diff import MAX_LINES, spec_diff


def test_changed_added_removed() -> None:
    old = {"code": {"code_digest": "sha256:1"}, "retries": 0, "labels": {"a": "1"}, "env": ["X"]}
    new = {"code": {"code_digest": "sha256:2"}, "retries": 3, "labels": {}, "env": ["X", "Y"], "timeout": 5}
    assert spec_diff(old, new, label="task mean") == [
        "code.code_digest of task mean changed: 'sha256:1' -> 'sha256:2'",
        "env[1] of task mean added: 'Y'",
        "labels.a of task mean removed: '1'",
        "retries of task mean changed: 0 -> 3",
        "timeout of task mean added: 5",
    ]


def test_long_values_and_many_lines_are_cut() -> None:
    lines = spec_diff({"a": "x" * 500}, {"a": "y" * 500}, label="task t")
    assert len(lines[0]) < 200 and "…" in lines[0]
    many = spec_diff({f"k{i}": i for i in range(50)}, {f"k{i}": i + 1 for i in range(50)}, label="task t")
    assert len(many) == MAX_LINES + 1 and many[-1] == "… and 30 more differences"


def test_equal_specs_with_different_digests_say_so() -> None:
    assert "digest differs" in spec_diff({"a": 1}, {"a": 1}, label="task t")[0]


def test_a_new_list_item_is_spelled_out_field_by_field() -> None:
    old = {"notifications": []}
    new = {"notifications": [{"kind": "slack", "phases": ["failed"]}]}
    assert spec_diff(old, new, label="launch plan nightly") == [
        "notifications[0].kind of launch plan nightly added: 'slack'",
        "notifications[0].phases[0] of launch plan nightly added: 'failed'",
    ]
