"""``flowctl show PLANFILE [-o json|markdown]``: a saved plan, rendered as ``flowctl plan`` showed it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowctl.cli._colour import NoColorOpt
from flowctl.cli._options import JsonAliasOpt, PlanFormat, PlanFormatOpt


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show(
        plan_file: Annotated[Path, typer.Argument(help="A saved plan (from `flowctl plan --out FILE`).",
                                                  metavar="PLANFILE")],
        output: PlanFormatOpt = PlanFormat.text,
        json_output: JsonAliasOpt = False,
        no_color: NoColorOpt = False,
    ) -> None:
        """Show a saved plan (the registry is not read: this is what `flowctl apply PLANFILE` would do)."""
        from flowctl.cli import _plan_support as support
        from flowctl.plans import load_plan

        saved = load_plan(plan_file)
        support.echo_plan(saved.plan, "json" if json_output else output.value, saved.cluster, no_color=no_color)

    _ = show
