"""Every task type end to end through ``python -m flowctl run`` (a real subprocess, real processes)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from tasktype_support import SQLITE_PLUGIN_SRC, plugin_env, write_dist_info

HERE = Path(__file__).parent
FLOWS = HERE / "tasktype_flows.py"


def flowctl_run(tmp_path: Path, file: Path, name: str, *args: str, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowctl", "run", str(file), name, "--json", "--no-cache", *args],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)


def outputs(done: subprocess.CompletedProcess[str]) -> object:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["outputs"]["o0"]


def test_container_and_shell_tasks(tmp_path: Path) -> None:
    done = flowctl_run(tmp_path, FLOWS, "container_and_shell", "--w", "3", "--h", "5", "--label", "room")
    assert outputs(done) == "area is 30 for room"


def test_map_task_over_a_container_task(tmp_path: Path) -> None:
    done = flowctl_run(tmp_path, FLOWS, "mapped_areas", "--ws", "[1, 2, 3]")
    assert outputs(done) == [1, 4, 9]


def test_map_task_with_min_success_ratio(tmp_path: Path) -> None:
    assert outputs(flowctl_run(tmp_path, FLOWS, "tolerant_map", "--xs", "[1, 2, 3]")) == [1, None, 3]
    done = flowctl_run(tmp_path, FLOWS, "tolerant_map", "--xs", "[1, 2, 4]")
    assert done.returncode != 0 and "even input" in done.stderr


def test_dynamic_fan_out_decided_by_input_and_nested(tmp_path: Path) -> None:
    assert outputs(flowctl_run(tmp_path, FLOWS, "dynamic_areas", "--sizes", "[1, 2, 5]")) == 30
    assert outputs(flowctl_run(tmp_path, FLOWS, "dynamic_areas", "--sizes", "[]")) == 0
    assert outputs(flowctl_run(tmp_path, FLOWS, "nested_dynamic", "--sizes", "[1, 2, 3]")) == 14


def test_a_failing_shell_task_shows_its_stderr(tmp_path: Path) -> None:
    done = flowctl_run(tmp_path, FLOWS, "failing", "--x", "1")
    assert done.returncode != 0
    assert "exited with status 7" in done.stderr and "disk full" in done.stderr


def test_the_sqlite_plugin_through_its_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_dist_info(site, "flowctl-sqlite", "0.1.0", {"sqlite": "flowctl_sqlite:plugin"})
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (name TEXT, total REAL)")
        conn.executemany("INSERT INTO orders VALUES (?, ?)", [("ann", 12.5), ("bob", 3.0), ("cy", 40)])
    env = plugin_env(site, SQLITE_PLUGIN_SRC, HERE)
    done = flowctl_run(tmp_path, HERE / "tasktype_sqlite_flows.py", "top_customers", "--db", str(db),
                       "--min_total", "10", env=env)
    assert outputs(done) == ["cy", "ann"]
    listed = subprocess.run([sys.executable, "-m", "flowctl", "plugins", "list"], capture_output=True, text=True,
                            env=env, timeout=30)
    assert "sqlite" in listed.stdout and "flowctl-sqlite 0.1.0" in listed.stdout
