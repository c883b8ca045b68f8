"""docs/getting-started.md works as written: its files are written and its commands run, in order,
in a fresh folder, and each command prints the lines the page shows (tests/e2e/doc_session.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_session import Command, File, Session, check, normalize, parse, session_env

PAGE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
SHOWN_FOLDER = "/tmp/hello"  # where the page's session ran


@pytest.mark.slow
def test_getting_started_runs_as_written(tmp_path: Path) -> None:
    steps = parse(PAGE.read_text())
    commands = [step for step in steps if isinstance(step, Command)]
    assert [step.path for step in steps if isinstance(step, File)] == ["flows.py", "project.py"]
    assert any(c.text.startswith("flowctl controller") and c.background for c in commands)
    assert sum(1 for c in commands if c.exit_code == 2) == 1  # the drift finding
    folder = tmp_path / "hello"
    folder.mkdir()
    session = Session(folder, session_env(tmp_path), shown_folder=SHOWN_FOLDER)
    try:
        session.run(steps)
    finally:
        session.close()


def test_the_page_parses_into_files_and_commands() -> None:
    page = "\n".join([
        "<!-- file: a.py -->", "```python", "x = 1", "```",
        "```console", "$ flowctl run a.py \\", "    wf", "out 1", "...", "$ flowctl drift   # exits 2",
        "$ flowctl controller > log 2>&1 &", "```", "```bash", "$ not run", "```",
    ])
    steps = parse(page)
    assert steps[0] == File(2, "a.py", "x = 1\n")
    assert [(c.text, c.expected, c.exit_code, c.background) for c in steps[1:] if isinstance(c, Command)] == [
        ("flowctl run a.py  wf", ["out 1", "..."], 0, False),
        ("flowctl drift", [], 2, False),
        ("flowctl controller > log 2>&1 &", [], 0, True),
    ]


def test_volatile_parts_compare_equal_and_the_rest_does_not() -> None:
    shown = "Succeeded: flows.hello_wf in 5.43 s (2 nodes, execution hello/production/frr8jd1uxvo9hmiyr0qd)"
    actual = "Succeeded: flows.hello_wf in 12.1 s (2 nodes, execution hello/production/abcdefghijklmnopqrst)"
    assert normalize(shown) == normalize(actual)
    assert normalize("approved by alice at 2026-12-03 12:14 UTC (needs an approval of 85286f2efc2a)") == \
        normalize("approved by alice at 2027-01-01 09:00 UTC (needs an approval of 0123456789ab)")
    assert normalize("n1    flows.shout  succeeded  12:41:04  182 ms    1") == \
        normalize("n1 flows.shout succeeded 09:00:59 2.1 s 1")
    assert normalize("Plan: 5 to register") != normalize("Plan: 4 to register")
    command = Command(1, "flowctl plan", ["Plan: 5 to register", "...", "No changes."])
    assert check(command, "No changes.\nPlan: 5 to register\n", 0) is None  # stdout/stderr order is free
    assert check(command, "Plan: 4 to register\nNo changes.\n", 0) is not None
    assert check(command, "Plan: 5 to register\nNo changes.\n", 1) is not None
    assert check(Command(1, "x", ["a", "a"]), "a\n", 0) is not None  # each output line matches once
