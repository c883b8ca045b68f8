"""docs/cli.md is what scripts/gen_cli_docs.py makes of the typer app today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_cli_md_is_current() -> None:
    expected = _generator().render()
    actual = (REPO / "docs" / "cli.md").read_text()
    assert actual == expected, "docs/cli.md is stale: run `.venv/bin/python scripts/gen_cli_docs.py` and commit it"


def test_every_visible_command_and_option_is_on_the_page() -> None:
    import click
    import typer.main

    from flowctl.cli import _register_commands, app

    _register_commands()
    page = (REPO / "docs" / "cli.md").read_text()
    for path, command in _generator()._walk(typer.main.get_command(app), ["flowctl"]):
        assert f"## {' '.join(path)}\n" in page
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert f"`{param.opts[0]}`" in page, (path, param.opts)
    assert "## flowctl plan\n" in page and "## flowctl get projects\n" in page


def test_check_mode_fails_on_a_stale_page_and_names_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generator = _generator()
    generator.PAGE = tmp_path / "cli.md"
    generator.PAGE.write_text("# old\n")
    assert generator.main(["--check"]) == 1
    assert "run `.venv/bin/python scripts/gen_cli_docs.py`" in capsys.readouterr().err
    generator.PAGE.write_text(generator.render())
    assert generator.main(["--check"]) == 0
