"""Attempt start-up: CPU and wall time of one local attempt process, beside a bare interpreter.

    .venv/bin/python benchmarks/attempt_start.py [--quick]

Each attempt is a real ``LocalProvider`` submit of ``inc(x: int) -> int`` from a code bundle (what a
controller does), waited for through ``subscribe`` (woken when the process exits), once with the
fork server (the default) and once as a fresh interpreter (``FLOWCTL_LOCAL_FORK=0``). CPU is user +
system time of the attempt process (see ``attempts`` for how a fork's is counted); wall is submit
until the provider reports it succeeded. ``python -c pass`` is measured in the same run, so the ratio is
meaningful on a busy machine. An attempt never touches the registry: ``registry_url`` is accepted
for the suite's signature only. One warm-up attempt (bundle unpacked, bytecode written) first.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

try:
    from benchmarks._table import BenchRow
except ImportError:  # run as a script: benchmarks/ itself is on sys.path
    from _table import BenchRow  # type: ignore[no-redef]

from flowctl import _blobstore as blobs
from flowctl._bundle import create_bundle
from flowctl.providers import AttemptRef, SubmitRequest
from flowctl.providers.local import LocalProvider
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, TaskSpec, TypeSpec

SOURCE = "from flowctl import task\n\n\n@task\ndef inc(x: int) -> int:\n    return x + 1\n"
INT = TypeSpec(kind="int")
TASK = TaskSpec(
    name="bench.inc",
    interface=InterfaceSpec(inputs=(InputSpec(name="x", type=INT),), outputs=(OutputSpec(name="o0", type=INT),)),
    code=CodeSpec(module="bench", qualname="inc", source_file="bench.py", source_line=4, code_digest="x"),
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare_interpreter(runs: int) -> tuple[float, float]:
    """Median CPU and wall of ``python -c pass`` (with the attempt's environment variables)."""
    cpu, wall = [], []
    for _ in range(runs):
        before, start = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=_attempt_like_env())
        wall.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - before)
    return statistics.median(cpu), statistics.median(wall)


def _attempt_like_env() -> dict[str, str]:
    from flowctl.providers.local._env import passthrough

    return passthrough(os.environ)


def attempts(runs: int, work: Path, *, fork: bool) -> tuple[float, float]:
    """Median wall of ``runs`` attempts after one warm-up, and the CPU of one attempt.

    A fresh interpreter's CPU is read per attempt as it is reaped. The fork server's forks are its
    children, not ours: their time reaches ``RUSAGE_CHILDREN`` when the server itself exits and is
    reaped, so an attempt's CPU is (all CPU of a session of ``runs + 1`` attempts - that of a session
    of the warm-up attempt only) / ``runs``: the server's own work per attempt included."""
    source = work / "src"
    source.mkdir(exist_ok=True)
    (source / "bench.py").write_text(SOURCE)
    blob_url = str(work / "blobs")
    os.environ["FLOWCTL_BUNDLE_CACHE"] = str(work / "cache")
    bundle = create_bundle(source, blob_url)
    if fork:
        before = _children_cpu()
        _session(1, blob_url, bundle, work, fork=True, execution="warm")
        warm_up_only = _children_cpu() - before
        before = _children_cpu()
        wall, _ = _session(runs + 1, blob_url, bundle, work, fork=True, execution="measured")
        return (_children_cpu() - before - warm_up_only) / runs, statistics.median(wall[1:])
    wall, cpu = _session(runs + 1, blob_url, bundle, work, fork=False, execution="fresh")
    return statistics.median(cpu[1:]), statistics.median(wall[1:])


def _session(count: int, blob_url: str, bundle: str, work: Path, *, fork: bool,
             execution: str) -> tuple[list[float], list[float]]:
    """``count`` attempts one after the other through one provider; wall and reaped CPU of each."""
    provider = LocalProvider(blob_url, log_dir=work / "logs", slots=2, fork=fork)
    changed = threading.Event()
    provider.subscribe(changed.set)
    cpu, wall = [], []
    try:
        for index in range(count):
            ref = AttemptRef("bench", "development", execution, f"n{index}", 0)
            paths = blobs.BlobStore(blob_url).attempt(ref.project, ref.domain, ref.execution, ref.node, ref.attempt)
            blobs.write_json(paths.inputs, {"x": index})
            request = SubmitRequest(ref=ref, task=TASK.to_json(), inputs_uri=paths.inputs, outputs_uri=paths.outputs,
                                    bundle_uri=bundle, blob_store=blob_url)
            changed.clear()
            before, start = _children_cpu(), time.perf_counter()
            response = provider.submit(request)
            if response.error is not None:
                raise SystemExit(f"submit failed: {response.error}")
            while (status := provider.status(ref, response.handle)).phase not in ("succeeded", "failed"):
                changed.wait(0.5)
                changed.clear()
            wall.append(time.perf_counter() - start)
            if status.phase != "succeeded":
                raise SystemExit(f"attempt failed: {status.error}")
            provider.cleanup(ref, response.handle)  # reaped: a fresh process's CPU is in RUSAGE_CHILDREN now
            cpu.append(_children_cpu() - before)
    finally:
        provider.close()  # the fork server exits and is reaped with its children's time
    return wall, cpu


def rows(registry_url: str, quick: bool) -> list[BenchRow]:
    """The attempt start-up rows of the benchmark table (``registry_url`` is not used: see the docstring)."""
    runs = 5 if quick else 20
    base_cpu, base_wall = bare_interpreter(runs)
    with tempfile.TemporaryDirectory(prefix="flowctl-attempt-bench-") as folder:
        fork_cpu, fork_wall = attempts(runs, Path(folder), fork=True)
        fresh_cpu, fresh_wall = attempts(runs, Path(folder), fork=False)
    return [
        BenchRow("attempt CPU, local provider, fork server (default)", fork_cpu, "CPU-s", 0.08, "lower"),
        BenchRow("attempt CPU, local provider, fresh interpreter", fresh_cpu, "CPU-s", 0.08, "lower"),
        BenchRow("bare interpreter CPU, python -c pass (same run)", base_cpu, "CPU-s", 0.04, "lower"),
        BenchRow("attempt CPU / bare interpreter CPU, fork server", fork_cpu / base_cpu, "x", 2.0, "lower"),
        BenchRow("attempt CPU / bare interpreter CPU, fresh", fresh_cpu / base_cpu, "x", 2.0, "lower"),
        BenchRow("attempt wall, submit -> succeeded, fork server", fork_wall, "s", 0.3, "lower"),
        BenchRow("attempt wall, submit -> succeeded, fresh", fresh_wall, "s", 0.3, "lower"),
        BenchRow("bare interpreter wall, python -c pass (same run)", base_wall, "s", 0.04, "lower"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 attempts instead of 20")
    args = parser.parse_args()
    for row in rows("", args.quick):
        print(f"{row.workload:52} {row.figure:9.3f} {row.unit:6} (target {'<=' if row.better == 'lower' else '>='} "
              f"{row.target:g})")


if __name__ == "__main__":
    main()
