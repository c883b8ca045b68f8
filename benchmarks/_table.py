"""One row of the benchmark table: a figure measured in this run beside its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class BenchRow:
    workload: str
    figure: float
    unit: str
    target: float
    better: Literal["lower", "higher"]
