"""The ``flowctl`` command line.

Each command group lives in its own module ``flowctl/cli/cmd_<name>.py`` exposing
``register(app: typer.Typer) -> None``; modules are discovered here, so adding a command touches
one file. Command modules import only typer and the standard library at top level and import
heavy layers (state, plans, providers, rich) inside the command function, so ``flowctl --help``
stays fast. Nothing imports this package.
"""

from __future__ import annotations

import os
import pkgutil
import sys
import traceback
from importlib import import_module
from typing import Annotated, NoReturn

import typer

from flowctl._errors import FlowctlError
from flowctl.cli._coerce import install as install_light_options

_state = {"debug": False}
_ROOT_FLAGS = frozenset({"--debug"})  # root options a command line may give before the command's name


def _new_app() -> typer.Typer:
    made = typer.Typer(
        name="flowctl",
        help="flowctl: typed tasks and workflows, a Terraform-style control plane, Kubernetes or local execution.",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every subcommand
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    made.callback()(_root)
    return made


def _print_version(value: bool) -> None:
    if value:
        from flowctl.cli.cmd_version import flowctl_version

        typer.echo(f"flowctl {flowctl_version()}")
        raise typer.Exit()


def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.", envvar="FLOWCTL_DEBUG")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print flowctl's version and exit (`flowctl version` "
                                          "tells more).", callback=_print_version, is_eager=True)] = False,
) -> None:
    _state["debug"] = debug


app = _new_app()  # every command (``flowctl --help``, tests); one command's run builds only its own


def debug_enabled() -> bool:
    return _state["debug"]


def _register_commands() -> None:
    """Register every command module once (tests call this and ``_main`` many times per process)."""
    if app.registered_commands:
        return
    package_path = __path__
    for module in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if module.name.startswith("cmd_"):
            import_module(f"{__name__}.{module.name}").register(app)


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run ``argv`` with: only the named command's module when the command line names one.

    Typer builds the click command of every registered command and group on each run (their
    parameters from the functions' signatures: ~40 ms for all of flowctl's, plus importing ~25
    modules); a run needs its own. ``flowctl``, ``--help``, completion, unknown names and anything
    unusual get the whole app, so their output and errors are exactly click's."""
    position = 0
    while position < len(argv) and argv[position] in _ROOT_FLAGS:
        position += 1
    name = argv[position] if position < len(argv) else ""
    if not name.replace("-", "").isalnum() or name.startswith("-") or any(k.endswith("_COMPLETE") for k in os.environ):
        return _full_app()
    import importlib.util

    module = f"{__name__}.cmd_{name.replace('-', '_')}"
    if importlib.util.find_spec(module) is None:
        return _full_app()
    one = _new_app()
    import_module(module).register(one)
    names = {c.name for c in one.registered_commands} | {g.name for g in one.registered_groups}
    return one if names == {name} else _full_app()


def _full_app() -> typer.Typer:
    _register_commands()
    return app


def fail(error: FlowctlError, *, exit_code: int = 1) -> NoReturn:
    """Print an error's diagnostics to stderr and exit."""
    sys.stderr.write(error.render() + "\n")
    raise typer.Exit(exit_code)


def main() -> None:
    """Console entry point: click handles usage errors and exit codes; FlowctlError becomes diagnostics."""
    try:
        _main()
    except SystemExit as exit_:
        _exit_now(exit_.code)
    _exit_now(0)


def _exit_now(code: object) -> NoReturn:
    """Exit without tearing the heap down object by object.

    A plan of 10,000 workflows leaves millions of small objects (specs, ASTs, registry rows); the
    interpreter's own shutdown spends a third of the command freeing them one by one. Exit handlers
    still run and output is flushed; only the teardown is skipped, and only when no other thread is
    alive (else, or with FLOWCTL_SLOW_EXIT=1, the normal shutdown runs).
    """
    import atexit
    import os
    import threading

    if threading.active_count() > 1 or os.environ.get("FLOWCTL_SLOW_EXIT") == "1":
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        status = status or 120  # what the interpreter reports when flushing stdout fails at exit
    os._exit(status)


def _main(argv: list[str] | None = None) -> None:
    """Run one command (``argv`` defaults to ``sys.argv[1:]``); always ends in SystemExit."""
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:  # answered before the commands are loaded
        from flowctl.cli.cmd_version import flowctl_version

        typer.echo(f"flowctl {flowctl_version()}")
        sys.exit(0)
    args = sys.argv[1:] if argv is None else argv
    runner = _app_for(args)
    install_light_options()
    try:
        runner(args=args)
    except FlowctlError as error:
        if debug_enabled():
            traceback.print_exc()
        sys.stderr.write(error.render() + "\n")
        sys.exit(1)
    except Exception:
        sys.stderr.write("flowctl: internal error, please report it with the traceback below.\n")
        traceback.print_exc()
        sys.exit(70)
