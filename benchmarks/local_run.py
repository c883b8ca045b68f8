"""Local run overhead of ``flowctl run`` (in-process runner).

Workloads (issue 2, section 5):
  chain   a 100-task chain of inc(x) -> x + 1
  fanout  a 200-way fan-out of square(i), summed by one task
  bigdata a list of 1,000,000 floats passed from one task to the next, against one json.dumps
Overhead per node = (run time - time of the same plain Python calls) / nodes.
Also the wall time of `python -m flowctl run` on the seed example (process start included).

Usage: .venv/bin/python benchmarks/local_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODULE = textwrap.dedent(
    """
    from flowctl import task, workflow


    @task
    def inc(x: int) -> int:
        return x + 1


    @task
    def square(i: int) -> int:
        return i * i


    @task
    def total(values: list[int]) -> int:
        return sum(values)


    @task
    def make(n: int) -> list[float]:
        return [i * 0.5 for i in range(n)]


    @task
    def consume(values: list[float]) -> int:
        return len(values)


    @workflow
    def chain(x: int = 0) -> int:
        for _ in range(100):
            x = inc(x=x)
        return x


    @workflow
    def fanout(n: int = 200) -> int:
        return total(values=[square(i=i) for i in range(200)])


    @workflow
    def bigdata(n: int = 1_000_000) -> int:
        return consume(values=make(n=n))
    """
)


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    from flowctl._local import run_local
    from flowctl._runtime import import_file
    from flowctl.sdk import compile_workflow

    folder = Path(tempfile.mkdtemp(prefix="flowctl-bench-"))
    (folder / "bench_flows.py").write_text(MODULE)
    module = import_file(folder / "bench_flows.py")

    started = time.perf_counter()
    compile_workflow(module.chain.__flowctl_definition__)
    compile_chain = time.perf_counter() - started
    started = time.perf_counter()
    compile_workflow(module.fanout.__flowctl_definition__)
    compile_fanout = time.perf_counter() - started

    inc, square, total = module.inc, module.square, module.total

    def plain_chain() -> int:
        x = 0
        for _ in range(100):
            x = inc(x=x)
        return x

    def plain_fanout() -> int:
        return total(values=[square(i=i) for i in range(200)])

    assert run_local(module.chain).outputs["o0"] == 100
    assert run_local(module.fanout).outputs["o0"] == plain_fanout()
    chain = best(lambda: run_local(module.chain), args.repeat)
    chain_plain = best(plain_chain, args.repeat)
    fanout = best(lambda: run_local(module.fanout), args.repeat)
    fanout_plain = best(plain_fanout, args.repeat)

    data = module.make(n=1_000_000)
    dumps = best(lambda: json.dumps(data), 3)
    big = best(lambda: run_local(module.bigdata), 3)
    make_plain = best(lambda: module.consume(values=module.make(n=1_000_000)), 3)

    seed = ROOT / "examples" / "flyte_concepts.py"
    cli_times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "flowctl", "run", str(seed), "standard_scale_workflow", "--no-cache",
             "--values", "[1.0,2.0,3.0,4.0,5.0]"],
            check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        cli_times.append(time.perf_counter() - started)

    rows = [
        ("compile chain (100 nodes, once)", f"{compile_chain * 1000:.1f} ms"),
        ("compile fanout (201 nodes, once)", f"{compile_fanout * 1000:.1f} ms"),
        ("chain: run", f"{chain * 1000:.2f} ms"),
        ("chain: overhead per node", f"{(chain - chain_plain) / 100 * 1000:.4f} ms"),
        ("fanout: run", f"{fanout * 1000:.2f} ms"),
        ("fanout: overhead per node", f"{(fanout - fanout_plain) / 201 * 1000:.4f} ms"),
        ("1M floats: json.dumps once", f"{dumps * 1000:.0f} ms"),
        ("1M floats: make -> consume, plain Python", f"{make_plain * 1000:.0f} ms"),
        ("1M floats: make -> consume, flowctl", f"{big * 1000:.0f} ms"),
        ("1M floats: flowctl cost beyond plain / json.dumps", f"{(big - make_plain) / dumps:.2f}x"),
        ("`python -m flowctl run` seed example (wall, median of 5)", f"{statistics.median(cli_times) * 1000:.0f} ms"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    try:
        import flytekit  # noqa: F401
    except ImportError:
        print("(flytekit is not installed: no side-by-side comparison)")


if __name__ == "__main__":
    main()
