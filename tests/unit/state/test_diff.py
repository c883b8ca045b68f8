from __future__ import annotations

from flowctl.state._diff import MAX_LINES, readable_path, spec_diff


def test_readable_path() -> None:
    assert readable_path("root['code']['code_digest']") == "code.code_digest"
    assert readable_path("root['nodes'][0]['id']") == "nodes[0].id"
    assert readable_path("root") == "(whole spec)"


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
