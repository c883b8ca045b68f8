"""A manifest or workflow file that fails to import: one diagnostic naming file:line, the user's
frames only, exit 1, for run, plan, apply and drift alike (one loader path)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cli_support import assert_diagnostic, invoke

BROKEN = {
    "syntax_error.py": ("from flowctl import task\nx = (\n", "syntax_error.py:2", "'(' was never closed"),
    "name_error.py": ("from flowctl import task\n\ny = undefined_name + 1\n", "name_error.py:3",
                      "NameError: name 'undefined_name' is not defined"),
    "import_error.py": ("import no_such_module_anywhere\n", "import_error.py:1",
                        "No module named 'no_such_module_anywhere'"),
    "raises.py": ("def boom():\n    raise RuntimeError('at import')\n\nboom()\n", "raises.py:2",
                  "RuntimeError: at import"),
    "exits.py": ("import sys\n\nsys.exit(0)\n", "exits.py:3", "called sys.exit(0) while being imported"),
    "exits_code.py": ("raise SystemExit(3)\n", "exits_code.py:1", "called sys.exit(3) while being imported"),
}


def _commands(file: str, tmp: Path) -> list[list[str]]:
    registry = f"sqlite:///{tmp / 'registry.db'}"
    return [
        ["run", file, "wf"],
        ["plan", file, "--version", "v1", "--registry", registry],
        ["apply", file, "--version", "v1", "--auto-approve", "--registry", registry],
        ["drift", file, "--registry", registry],
    ]


@pytest.fixture(scope="module")
def with_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a registry (drift needs one); failed applies must leave it as it was."""
    folder = tmp_path_factory.mktemp("imports")
    _make_registry(folder)
    return folder


@pytest.mark.parametrize("file", sorted(BROKEN))
def test_a_file_that_fails_to_import_is_one_diagnostic_everywhere(with_registry: Path, file: str) -> None:
    text, where, what = BROKEN[file]
    (with_registry / file).write_text(text)
    serial = _serial(with_registry)
    for args in _commands(file, with_registry):
        result = invoke(*args, cwd=with_registry)
        assert_diagnostic(result, what, f"on {where}")
        assert "importlib" not in result.stderr and "flowctl/" not in result.stderr, result.stderr
    assert _serial(with_registry) == serial


def _make_registry(tmp: Path) -> None:
    good = tmp / "good"
    good.mkdir()
    (good / "manifest.py").write_text(textwrap.dedent("""
        from flowctl import Project, task

        @task
        def t(x: int) -> int:
            return x

        Project("p").domain("development").register(t)
    """))
    result = invoke("apply", str(good), "--version", "v1", "--auto-approve", "--registry",
                    f"sqlite:///{tmp / 'registry.db'}", cwd=tmp)
    assert result.code == 0, result.output


def _serial(tmp: Path) -> int:
    from flowctl.state import open_store

    store = open_store(f"sqlite:///{tmp / 'registry.db'}")
    try:
        return store.snapshot().serial
    finally:
        store.close()


def test_the_traceback_shows_the_users_frames_across_their_modules(tmp_path: Path) -> None:
    (tmp_path / "import_helper.py").write_text("def load():\n    return {}['missing']\n\nVALUE = load()\n")
    (tmp_path / "import_flows.py").write_text("import import_helper\n")
    result = invoke("run", "import_flows.py", "wf", cwd=tmp_path)
    assert_diagnostic(result, "KeyError: 'missing'", "on import_helper.py:2", 'import_flows.py", line 1',
                      'import_helper.py", line 4')
    assert "_bootstrap" not in result.stderr


def test_a_guarded_main_block_is_fine(tmp_path: Path) -> None:
    (tmp_path / "guarded_flows.py").write_text(textwrap.dedent("""
        import sys
        from flowctl import task

        @task
        def double(x: int) -> int:
            return 2 * x

        if __name__ == "__main__":
            sys.exit(1)
    """))
    result = invoke("run", "guarded_flows.py", "double", "--x", "4", cwd=tmp_path)
    assert result.code == 0 and result.stdout.strip() == "o0: 8", result.output


def test_a_manifest_without_a_project_names_the_file_its_objects_and_how_to_declare(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "workflows" / "wf_truth_test.py"
    (tmp_path / "promise_truth.py").write_text(fixture.read_text())
    result = invoke("plan", "promise_truth.py", "--version", "v1", "--registry",
                    f"sqlite:///{tmp_path / 'registry.db'}", cwd=tmp_path)
    assert_diagnostic(result, "No Project is declared in promise_truth.py", "on promise_truth.py",
                      "workflow `truth_wf` (promise_truth.py:17)", "task `positive` (promise_truth.py:7)",
                      'project = Project("my-project")', 'project.domain("development").register(truth_wf)')
