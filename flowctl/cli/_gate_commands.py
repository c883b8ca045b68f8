"""``flowctl executions signal|approve|show [--deck]`` (on the registry database or through the flowctl server) and the gate/deck helpers of ``flowctl run``.

Added to the ``executions`` group by ``cmd_executions`` (one line there), so the gate commands
live in one module: ``signal ID NAME VALUE`` answers ``wait_for_input``, ``approve ID NAME
[--reject]`` an ``approve`` gate, ``show ID --deck [--node N]`` lists (or prints) task reports.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

if TYPE_CHECKING:
    from flowctl.client import RemoteExecutions
    from flowctl.state._execution_access import ExecutionAccess, ExecutionReader
    from flowctl.state._executions import ExecutionStore

Ref = Annotated[str, typer.Argument(help="Execution id, name, or project/domain/name.")]
Registry = Annotated[str | None, typer.Option("--registry", help="Registry URL.")]


def add_gate_commands(ex: typer.Typer, access_of: Callable[[str | None], ExecutionAccess],
                      reader_of: Callable[[str | None], ExecutionReader]) -> None:
    """``access_of`` opens the registry's execution store, or the flowctl server's (FLOWCTL_SERVER);
    ``reader_of`` what plain reads (``show`` without --deck) go through."""

    @ex.command("signal")
    def signal(ref: Ref, name: Annotated[str, typer.Argument(help="The gate's signal name.")],
               value: Annotated[str, typer.Argument(help="The value: text for strings and dates, JSON otherwise.")],
               registry: Registry = None) -> None:
        """Give a wait_for_input gate its value; the controller continues the execution."""
        _send(access_of(registry), ref, name, value, approve=False)

    @ex.command("approve")
    def approve(ref: Ref, name: Annotated[str, typer.Argument(help="The approval gate's name.")],
                reject: Annotated[bool, typer.Option("--reject", help="Reject instead: the gate's node fails.")] = False,
                registry: Registry = None) -> None:
        """Approve (or --reject) an approve() gate of an execution."""
        _send(access_of(registry), ref, name, "no" if reject else "yes", approve=True)

    @ex.command("show")
    def show(ref: Ref, deck: Annotated[bool, typer.Option("--deck", help="The task reports (Deck) of its nodes.")] = False,
             node: Annotated[str | None, typer.Option("--node", help="With --deck: print this node's report (HTML).")] = None,
             registry: Registry = None) -> None:
        """Show an execution; with --deck, where each node's report is (or one report's HTML)."""
        from rich.console import Console

        from flowctl.engine import find_execution
        from flowctl.engine._view import execution_document, render_execution

        if not deck:
            reader = reader_of(registry)
            render_execution(execution_document(reader, find_execution(reader, ref)), Console())
            return
        access = access_of(registry)
        execution = find_execution(access, ref)
        _show_decks(access, execution.id, execution.name, node)


def _remote(access: ExecutionAccess) -> RemoteExecutions | None:
    """The server's store when the command goes through the flowctl server, else None (the database)."""
    from flowctl.state._executions import ExecutionStore

    return None if isinstance(access, ExecutionStore) else cast("RemoteExecutions", access)


def _send(access: ExecutionAccess, ref: str, name: str, text: str, *, approve: bool) -> None:
    """Parse ``text`` against the gate and record it (``engine._gates.send_signal``; the server runs it
    through the flowctl server)."""
    from flowctl.engine import find_execution
    from flowctl.engine._gates import send_signal
    from flowctl.engine._launch import who
    from flowctl.engine._specs import SpecLoader

    execution = find_execution(access, ref)
    remote = _remote(access)
    if remote is not None:
        value = remote.send_signal(execution, name, text, actor=who(), approve=approve).value
    else:
        store = cast("ExecutionStore", access)
        value = send_signal(store, SpecLoader(store), execution, name, text, actor=who(), approve=approve).value
    typer.echo(f"signal {name} = {value!r} given to {execution.project}/{execution.domain}/{execution.name}", err=True)


def _show_decks(access: ExecutionAccess, execution_id: str, name: str, node: str | None) -> None:
    from flowctl.engine._decks import find_decks, read_deck

    remote = _remote(access)
    found = remote.find_decks(execution_id) if remote is not None else find_decks(access, execution_id)
    if node is not None:
        if remote is not None and node in found:
            sys.stdout.write(remote.read_deck(execution_id, node))
        else:
            sys.stdout.write(read_deck(found, node, name))
        return
    if not found:
        typer.echo(f"execution {name} has no task reports (tasks write them with flowctl.Deck)", err=True)
    for node_id, uri in found.items():
        typer.echo(f"{node_id}\t{uri}")


# ---------------------------------------------------------------- flowctl run
def parse_signals(options: list[str]) -> dict[str, str]:
    """``--signal NAME=VALUE`` options as a mapping; a malformed one is an InputError."""
    from flowctl._errors import InputError

    signals: dict[str, str] = {}
    for option in options:
        key, eq, value = option.partition("=")
        if not eq or not key:
            raise InputError(f"--signal {option!r} is not NAME=VALUE", detail="For example: --signal approve-model=yes")
        signals[key] = value
    return signals


def terminal_prompt() -> Callable[[str], str] | None:
    """Ask on the terminal (stderr, so --json output stays clean); None when stdin is not a TTY."""
    if not sys.stdin.isatty():
        return None

    def ask(question: str) -> str:
        sys.stderr.write(question)
        sys.stderr.flush()
        return sys.stdin.readline().strip()

    return ask


def write_local_decks(decks: dict[str, dict[str, str]], title: str, folder: Path) -> None:
    """The reports tasks wrote in a local run (also a failed one), one HTML page per node under
    ``folder``; their paths go to stderr."""
    from flowctl._outfile import write_output_file
    from flowctl.sdk._context import render_report

    for node_id, documents in decks.items():
        path = folder / f"{node_id.replace('/', '__')}.html"
        write_output_file(path, render_report(f"{title} {node_id}", documents), what=f"the deck of {node_id}",
                          elsewhere="Or set cache.dir (FLOWCTL_CACHE_DIR) on another disk: decks are written beside it.")
        sys.stderr.write(f"Deck: {path}\n")
