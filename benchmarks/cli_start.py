"""CLI start-up: wall time of `flowctl --help`, `--version`, `import flowctl` and of read commands
(`get projects`, `registry info` on a small registry made in a temporary folder), median of N runs.

Run: .venv/bin/python benchmarks/cli_start.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def wall(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    baseline = wall([py, "-c", "pass"], args.runs)
    help_time = wall([py, "-m", "flowctl", "--help"], args.runs)
    import_time = wall([py, "-c", "import flowctl"], args.runs)
    heavy = subprocess.run(
        [py, "-c", "import flowctl, sys; print(sorted(m for m in ('typer','sqlmodel','kubernetes','rich') if m in sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    print(f"python -c pass       {baseline * 1000:7.1f} ms")
    print(f"flowctl --help       {help_time * 1000:7.1f} ms   (target <= 250 ms)")
    print(f"import flowctl       {import_time * 1000:7.1f} ms")
    version_time = wall([py, "-m", "flowctl", "--version"], args.runs)
    print(f"flowctl --version    {version_time * 1000:7.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FLOWCTL_REGISTRY": f"sqlite:///{tmp}/registry.db"}
        subprocess.run([py, "-m", "flowctl", "registry", "migrate"], check=True, capture_output=True, env=env)
        for command in (["get", "projects"], ["registry", "info"]):
            took = wall([py, "-m", "flowctl", *command], args.runs, env)
            print(f"flowctl {' '.join(command):<13}{took * 1000:7.1f} ms   (target <= 300 ms)")
    print(f"heavy modules loaded by `import flowctl`: {heavy}")


if __name__ == "__main__":
    main()
