"""The plugin registry: built-ins, entry points, failures reported by name, ``flowctl plugins list``."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from tasktype_support import on_path, write_dist_info
from typer.testing import CliRunner

from flowctl import FlowFile
from flowctl._errors import ExecutionError, ManifestError
from flowctl.tasktypes import ShellTask, TaskTypeUnavailable, get_plugin, plugins


def _cli(*args: str) -> tuple[int, str]:
    from flowctl.cli import _register_commands, app

    _register_commands()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_builtins_are_listed_without_loading_entry_points() -> None:
    infos = {i.task_type: i for i in plugins()}
    assert infos["container"].status == "ok" and infos["container"].source == "flowctl (built-in)"
    assert infos["shell"].status == "ok"
    assert get_plugin("shell").task_type == "shell"


def test_an_unknown_task_type_lists_the_known_ones() -> None:
    with pytest.raises(TaskTypeUnavailable, match="Unknown task type `spark`") as info:
        get_plugin("spark")
    assert "container" in str(info.value) and "flowctl.task_types" in str(info.value)


def test_a_broken_plugin_is_reported_by_name_and_breaks_nothing_else(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "flowctl_broken.py").parent.mkdir(parents=True)
    (site / "flowctl_broken.py").write_text("raise RuntimeError('needs libfoo 2')\n")
    (site / "flowctl_notaplugin.py").write_text("plugin = object()\n")
    write_dist_info(site, "flowctl-broken", "1.2.3", {"broken": "flowctl_broken:plugin",
                                                      "missing": "flowctl_no_such_module:plugin",
                                                      "odd": "flowctl_notaplugin:plugin"})
    with on_path(site):
        infos = {i.name: i for i in plugins()}
        assert infos["broken"].status == "failed" and infos["broken"].source == "flowctl-broken 1.2.3"
        assert "RuntimeError: needs libfoo 2" in infos["broken"].reason
        assert "ModuleNotFoundError" in infos["missing"].reason
        assert "has no `task_type`" in infos["odd"].reason
        with pytest.raises(TaskTypeUnavailable, match=r"plugin `broken` \(flowctl-broken 1\.2\.3\) failed to load"):
            get_plugin("broken")
        # an unrelated task type still works
        assert ShellTask("ok", script="echo 1 > {{ outputs.x }}", outputs={"x": int})() == 1
        code, out = _cli("plugins", "list")
        assert code == 0
        assert "broken" in out and "failed: RuntimeError: needs libfoo 2" in out and "shell" in out
        code, _ = _cli("plugins", "list", "--strict")
        assert code == 1


def test_a_plugin_cannot_take_a_builtin_type(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "flowctl_fake_shell.py").write_text(textwrap.dedent("""
        class P:
            task_type = "shell"
            def check(self, spec, *, source): return []
            def execute(self, spec, inputs, workdir): return {}
        plugin = P
    """))
    write_dist_info(site, "fake-shell", "0.1", {"fake": "flowctl_fake_shell:plugin"})
    with on_path(site):
        info = next(i for i in plugins() if i.name == "fake")
        assert info.status == "failed" and "already provided by flowctl (built-in)" in info.reason
        assert type(get_plugin("shell")).__module__ == "flowctl.tasktypes._shell_plugin"


def test_plugins_list_json(sqlite_plugin: Path) -> None:
    code, out = _cli("plugins", "list", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)["plugins"]}
    assert rows["sqlite"] == {"name": "sqlite", "task_type": "sqlite", "source": "flowctl-sqlite 0.1.0",
                              "status": "ok", "reason": ""}
    assert rows["python"]["status"] == "ok"


# ---------------------------------------------------------------- the worked example plugin
@dataclass
class Order:
    name: str
    total: float


def _shop(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE orders (name TEXT, total REAL, note TEXT)")
        db.executemany("INSERT INTO orders VALUES (?, ?, ?)", [("ann", 12.5, "x"), ("bob", 3.0, "y"), ("cy", 40, "z")])
    return path


def test_sqlite_task_runs_a_query_with_bound_inputs(sqlite_plugin: Path, tmp_path: Path) -> None:
    from flowctl_sqlite import SQLiteTask

    task = SQLiteTask(
        "big_orders",
        query_template="SELECT name, total FROM orders WHERE total >= {{ .inputs.min_total }} ORDER BY total DESC",
        inputs={"database": FlowFile, "min_total": float}, output_schema=Order,
    )
    assert task.spec.task_type == "sqlite" and task.spec.interface.outputs[0].name == "results"
    rows = task(database=FlowFile(str(_shop(tmp_path / "shop.db"))), min_total=10)
    assert rows == [Order("cy", 40.0), Order("ann", 12.5)]
    by_name = SQLiteTask("by_name", query_template="SELECT name, total FROM orders WHERE name = {{ .inputs.who }}",
                         inputs={"database": FlowFile, "who": str}, output_schema=Order)
    db = FlowFile(str(tmp_path / "shop.db"))
    assert by_name(database=db, who="bob") == [Order("bob", 3.0)]
    assert by_name(database=db, who="x' OR '1'='1") == []  # a bound parameter, never SQL text


def test_sqlite_task_without_database_uses_memory(sqlite_plugin: Path) -> None:
    from flowctl_sqlite import SQLiteTask

    task = SQLiteTask("calc", query_template="SELECT {{ .inputs.x }} * 2 AS total, 'n' AS name",
                      inputs={"x": int}, output_schema=Order)
    assert task(x=21) == [Order("n", 42.0)]


def test_sqlite_compile_checks(sqlite_plugin: Path) -> None:
    from flowctl_sqlite import SQLiteTask

    with pytest.raises(ManifestError) as info:
        SQLiteTask("bad", query_template="SELECT * FROM t WHERE a = {{ .inputs.b }} AND (", inputs={"a": int},
                   output_schema=Order)
    text = str(info.value)
    assert "Unknown template variable `{{ .inputs.b }}`" in text and "is not valid SQL: incomplete input" in text
    assert "Input `a` of SQLite task `bad` is not used" in text and "test_tasktypes_registry.py" in text
    with pytest.raises(ManifestError, match="must be a dataclass"):
        SQLiteTask("bad2", query_template="SELECT 1", output_schema=int)


def test_sqlite_missing_columns_fail_the_task(sqlite_plugin: Path) -> None:
    from flowctl_sqlite import SQLiteTask

    task = SQLiteTask("cols", query_template="SELECT 1 AS name", output_schema=Order)
    with pytest.raises(ExecutionError, match="has no column total"):
        task()
