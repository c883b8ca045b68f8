"""One row of the remote-speed table that ``benchmarks/run_all.py`` prints, and the printing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class BenchRow:
    """A measured figure beside its target; ``better`` says which side of the target meets it."""

    workload: str
    figure: float
    unit: str
    target: float
    better: Literal["lower", "higher"]

    @property
    def met(self) -> bool:
        return self.figure <= self.target if self.better == "lower" else self.figure >= self.target


def _number(value: float, unit: str) -> str:
    text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def render(rows: list[tuple[str, BenchRow]]) -> str:
    """A Markdown table: workload | registry | figure | target | met?"""
    lines = ["| workload | registry | figure | target | met? |", "|---|---|---:|---:|---|"]
    for registry, row in rows:
        sign = "≤" if row.better == "lower" else "≥"
        lines.append(f"| {row.workload} | {registry} | {_number(row.figure, row.unit)} | "
                     f"{sign} {_number(row.target, row.unit)} | {'yes' if row.met else 'NO'} |")
    return "\n".join(lines)
