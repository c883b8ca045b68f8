"""flowctl vs flytekit, local execution of the same workloads, in one interpreter.

A 100-task chain of ``inc(x) -> x + 1`` and a 200-way fan-out of ``square(i)`` summed by one task,
each defined once with flowctl's decorators and once with flytekit's, run in-process (flytekit's
local execution is what ``pyflyte run`` without --remote does). flytekit is optional: install it
next to flowctl in a separate virtualenv (it pins its own dependencies), e.g.

    python -m venv /tmp/fk && /tmp/fk/bin/pip install flytekit -e .
    /tmp/fk/bin/python benchmarks/flytekit_compare.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHAIN = 100
FANOUT = 200
sys.path.insert(0, str(Path(__file__).parent))


def best_of(fn: Callable[[], Any], runs: int = 5) -> float:
    fn()  # warm up (flytekit compiles on first call)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples)


def flowctl_workloads() -> tuple[Callable[[], Any], Callable[[], Any]]:
    import _workloads_flowctl as w

    from flowctl._local import LocalRunner

    runner = LocalRunner()
    return (lambda: runner.run(w.chain, {"x": 0})), (lambda: runner.run(w.fanout, {}))


def flytekit_workloads() -> tuple[Callable[[], Any], Callable[[], Any]]:
    import _workloads_flytekit as w

    return (lambda: w.chain(x=0)), (lambda: w.fanout())


def report(name: str, workloads: tuple[Callable[[], Any], Callable[[], Any]]) -> None:
    chain, fanout = workloads
    t_chain, t_fan = best_of(chain), best_of(fanout)
    print(f"{name:<9} chain {CHAIN}: {t_chain * 1000:8.2f} ms ({t_chain / CHAIN * 1000:.4f} ms/node)   "
          f"fan-out {FANOUT}+1: {t_fan * 1000:8.2f} ms ({t_fan / (FANOUT + 1) * 1000:.4f} ms/node)")


def main() -> None:
    report("flowctl", flowctl_workloads())
    try:
        import flytekit
    except ImportError:
        print("flytekit       not installed in this interpreter (see the module docstring)")
        return
    report(f"flytekit {flytekit.__version__}", flytekit_workloads())


if __name__ == "__main__":
    main()
