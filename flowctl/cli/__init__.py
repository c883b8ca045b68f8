"""The ``flowctl`` command line.

Each command group lives in its own module ``flowctl/cli/cmd_<name>.py`` exposing
``register(app: typer.Typer) -> None``; modules are discovered here, so adding a command touches
one file. Command modules import only typer and the standard library at top level and import
heavy layers (state, plans, providers, rich) inside the command function, so ``flowctl --help``
stays fast. Nothing imports this package.
"""

from __future__ import annotations

import pkgutil
import sys
import traceback
from importlib import import_module
from typing import Annotated, NoReturn

import typer

from flowctl._errors import FlowctlError

app = typer.Typer(
    name="flowctl",
    help="flowctl: typed tasks and workflows, a Terraform-style control plane, Kubernetes or local execution.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.", envvar="FLOWCTL_DEBUG")] = False,
) -> None:
    _state["debug"] = debug


def debug_enabled() -> bool:
    return _state["debug"]


def _register_commands() -> None:
    package_path = __path__
    for module in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if module.name.startswith("cmd_"):
            import_module(f"{__name__}.{module.name}").register(app)


def fail(error: FlowctlError, *, exit_code: int = 1) -> NoReturn:
    """Print an error's diagnostics to stderr and exit."""
    sys.stderr.write(error.render() + "\n")
    raise typer.Exit(exit_code)


def main() -> None:
    """Console entry point: click handles usage errors and exit codes; FlowctlError becomes diagnostics."""
    _register_commands()
    try:
        app()
    except FlowctlError as error:
        if debug_enabled():
            traceback.print_exc()
        sys.stderr.write(error.render() + "\n")
        sys.exit(1)
    except Exception:
        sys.stderr.write("flowctl: internal error, please report it with the traceback below.\n")
        traceback.print_exc()
        sys.exit(70)
