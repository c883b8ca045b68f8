"""Write docs/cli.md from the typer app: every command, its usage, help, arguments and options.

    .venv/bin/python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    .venv/bin/python scripts/gen_cli_docs.py --check   # exit 1 when docs/cli.md is stale

The page is built from click's own model of the app (``typer.main.get_command``), never from help
text rendered for a terminal, so it does not depend on the terminal's width or colours. Commands and
parameters are read by duck typing: typer 0.2x carries its own copy of click (``typer._click``), so
``isinstance(x, click.Group)`` would not hold.
tests/unit/test_docs_cli.py fails when the page is stale.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import typer.main

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "cli.md"
REGENERATE = ".venv/bin/python scripts/gen_cli_docs.py"


def render() -> str:
    """The whole page."""
    from flowctl.cli import _register_commands, app

    _register_commands()
    root = typer.main.get_command(app)
    lines = [
        "# Command reference",
        "",
        f"<!-- Generated from the typer app by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every command also takes `--help`. Global options go before the command",
        "(`flowctl --debug plan ...`). Exit codes and output formats are described per topic in the",
        "other pages (see [README](../README.md#documentation)).",
        "",
    ]
    commands = list(_walk(root, ["flowctl"]))
    lines += ["| command | what it does |", "|---|---|"]
    for path, command in commands:
        lines.append(f"| [`{' '.join(path)}`](#{_anchor(path)}) | {_first_line(command)} |")
    lines.append("")
    for path, command in commands:
        lines += _section(path, command)
    return "\n".join(lines).rstrip() + "\n"


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    """``command`` and every visible subcommand, depth first, in name order."""
    found = [(path, command)]
    if _is_group(command):
        for name in sorted(command.commands):
            sub = command.commands[name]
            if not sub.hidden:
                found += _walk(sub, [*path, name])
    return found


def _anchor(path: list[str]) -> str:
    return "-".join(path).lower()


def _first_line(command: Any) -> str:
    return _escape((command.help or "").strip().split("\n\n")[0].replace("\n", " "))


def _pipes(text: str) -> str:
    return text.replace("|", "\\|")


def _escape(text: str) -> str:
    """Text for a table cell: pipes escaped, angle brackets shown rather than read as HTML."""
    return _pipes(text).replace("<", "&lt;").replace(">", "&gt;")


def _section(path: list[str], command: Any) -> list[str]:
    ctx = command.context_class(command, info_name=" ".join(path))
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [f'<a id="{_anchor(path)}"></a>', f"## {' '.join(path)}", "", "```",
             f"{' '.join(path)} {usage}".rstrip(), "```", ""]
    help_text = (command.help or "").strip()
    if help_text:
        lines += [_dedent(help_text), ""]
    for kind, heading in (("argument", "argument"), ("option", "option")):
        records = [p.get_help_record(ctx) for p in command.params if p.param_type_name == kind and not p.hidden]
        rows = [record for record in records if record is not None]
        if rows:
            lines += [f"| {heading} | help |", "|---|---|"]
            lines += [f"| `{_pipes(flags)}` | {_escape(help_)} |" for flags, help_ in rows]
            lines.append("")
    if _is_group(command):
        visible = [name for name in sorted(command.commands) if not command.commands[name].hidden]
        lines += ["Subcommands: " + ", ".join(f"[`{name}`](#{_anchor([*path, name])})" for name in visible), ""]
    return lines


def _is_group(command: Any) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def _dedent(text: str) -> str:
    first, _, rest = text.partition("\n")
    return (first + "\n" + textwrap.dedent(rest)).strip()


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if not PAGE.is_file() or PAGE.read_text() != text:
            sys.stderr.write(f"docs/cli.md is stale: run `{REGENERATE}` and commit the result.\n")
            return 1
        return 0
    if argv:
        sys.stderr.write(f"usage: {REGENERATE} [--check]\n")
        return 2
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
