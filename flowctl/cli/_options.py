"""Options shared by several commands, each validated once here (typer and the standard library only).

- inputs: ``-i/--input NAME=VALUE`` and ``--inputs FILE`` (``run`` and ``launch``);
- numbers: :func:`count` and :func:`seconds` parse a bounded whole number / a finite number of
  seconds, so ``--slots -1``, ``--limit 1e20`` or ``--lock-timeout nan`` is a usage error (exit 2)
  that names the option, the value and the accepted range;
- closed sets: enums, so click lists the valid values (``--phase``, ``-o``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from typer._click.core import Context as ClickContext  # typer's vendored click

InputOpt = Annotated[list[str] | None, typer.Option(
    "--input", "-i", help="An input as NAME=VALUE (repeatable); VALUE as for --NAME.", show_default=False)]
InputsFileOpt = Annotated[list[str] | None, typer.Option(
    "--inputs", help="A .json or .yaml file mapping input names to values (repeatable); -i and --NAME override it.",
    show_default=False, metavar="FILE")]

class InputsCommand(TyperCommand):
    """A command whose unknown ``--NAME VALUE`` pairs are the inputs (``run``, ``launch``).

    click would read a value such as ``-1`` or ``-Infinity`` as a cluster of short options (and
    ``-Infinity`` holds ``-i``): a value after an input option that starts with a single dash is
    joined to it first, ``--x -1`` becoming ``--x=-1``.
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        known = {opt for param in self.params for opt in (*param.opts, *param.secondary_opts)}
        joined: list[str] = []
        index = 0
        while index < len(args):
            token = args[index]
            following = args[index + 1] if index + 1 < len(args) else ""
            if (token.startswith("--") and "=" not in token and token not in known and following.startswith("-")
                    and not following.startswith("--") and following not in known):
                joined.append(f"{token}={following}")
                index += 2
                continue
            joined.append(token)
            index += 1
        return super().parse_args(ctx, joined)


# Upper bounds keep every number inside what SQLite, PostgreSQL and time.sleep accept.
MAX_COUNT = 1_000_000
MAX_SECONDS = 366 * 24 * 3600.0


def count(minimum: int = 1, maximum: int = MAX_COUNT) -> Callable[[str], int]:
    """A parser of a whole number in ``[minimum, maximum]``."""

    def parse(text: str) -> int:
        if isinstance(text, int):  # a default value
            return text
        try:
            value = int(str(text).strip())
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a whole number (use {minimum}..{maximum})") from None
        if not minimum <= value <= maximum:
            raise typer.BadParameter(f"{value} is out of range: use a whole number from {minimum} to {maximum}")
        return value

    return parse


def seconds(minimum: float = 0.0, maximum: float = MAX_SECONDS, *, above: bool = False) -> Callable[[str], float]:
    """A parser of a finite number of seconds in ``[minimum, maximum]`` (``(minimum, maximum]`` with ``above``)."""
    low = f"more than {minimum:g}" if above else f"at least {minimum:g}"
    high = f"{maximum / 86400:g} days" if maximum >= 86400 else f"{maximum:g} seconds"

    def parse(text: str) -> float:
        if isinstance(text, int | float):  # a default value
            return float(text)
        try:
            value = float(str(text).strip())
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < minimum or (above and value == minimum) or value > maximum:
            raise typer.BadParameter(f"{text} is out of range: give {low} seconds and at most {high}")
        return value

    return parse


Format = TypeVar("Format", bound=StrEnum)


def output_format(choices: type[Format]) -> Callable[[str], Format]:
    """A parser of ``-o/--output FORMAT`` that tells a file name apart from a bad format.

    ``--output`` once named the report file of ``flowctl drift``; given a file name now, the error
    says to use ``--out FILE``."""
    names = ", ".join(c.value for c in choices)

    def parse(text: str) -> Format:
        if isinstance(text, choices):  # a default value
            return text
        value = str(text).strip().lower()
        for choice in choices:
            if choice.value == value:
                return choice
        if "/" in value or "." in value:
            raise typer.BadParameter(f"{text!r} looks like a file: -o/--output is the format ({names}); write to a "
                                     f"file with --out FILE (e.g. `-o {next(iter(choices)).value} --out {text}`)")
        raise typer.BadParameter(f"{text!r} is not one of {names}")

    return parse


class PlanFormat(StrEnum):
    """``-o`` of plan and promote."""

    text = "text"
    json = "json"
    markdown = "markdown"


PlanFormatOpt = Annotated[PlanFormat, typer.Option("-o", "--output", help="Output format.")]
JsonAliasOpt = Annotated[bool, typer.Option("--json", help="Same as -o json.")]


class TableFormat(StrEnum):
    table = "table"
    json = "json"


OutputFormatOpt = Annotated[TableFormat, typer.Option("-o", "--output", help="Output format.")]


def wants_json(output: StrEnum, json_alias: bool) -> bool:
    """``-o json``, or its alias ``--json``."""
    return json_alias or output.value == "json"


class ProviderName(StrEnum):
    """Where attempts run (``flowctl.providers.get_provider``)."""

    local = "local"
    kubernetes = "kubernetes"


class ExecutionPhase(StrEnum):
    """Phases of an execution (``state._execution_records``; a test pins the two together)."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    timed_out = "timed_out"
    aborted = "aborted"
