"""The ``sqlite`` task type: the task object (declaration) and the plugin (checks, execution)."""

from __future__ import annotations

import base64
import re
import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flowctl._errors import Diagnostic, ExecutionError
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes import PluginTask, Problems, declared_at, define_task
from flowctl.types import type_spec_of

TASK_TYPE = "sqlite"
DATABASE_INPUT = "database"
OUTPUT = "results"
_VARIABLE = re.compile(r"\{\{\s*\.?\s*([^{}]*?)\s*\}\}")
_INPUT = re.compile(r"^inputs\.([A-Za-z_][A-Za-z0-9_]*)$")


class SQLiteTask(PluginTask):
    """A SQL query on a SQLite database with typed inputs and a typed table output (``results``)."""

    __slots__ = ()

    def __init__(
        self,
        name: str,
        *,
        query_template: str,
        output_schema: type,
        inputs: Mapping[str, Any] | None = None,
        retries: int = 0,
        timeout: timedelta | float | None = None,
        cache: bool = False,
    ) -> None:
        source, module = declared_at()
        problems = Problems()
        if not isinstance(query_template, str) or not query_template.strip():
            problems.add(f"SQLiteTask `{name}` needs a query_template", 'e.g. query_template="SELECT ...".')
            query_template = ""
        columns: list[str] = []
        try:
            schema = type_spec_of(output_schema, where=f"output_schema of SQLiteTask `{name}`")
            if schema.kind != "struct":
                problems.add(f"output_schema of SQLiteTask `{name}` must be a dataclass, NamedTuple or pydantic model",
                             f"got `{schema}`; one field per column of the result.")
            columns = [field for field, _ in schema.fields]
        except Exception as exc:
            problems.add(str(exc).splitlines()[0].removeprefix("Error: "))
        definition = define_task(
            TASK_TYPE, name, source=source, module=module, kind="SQLiteTask",
            config={"query_template": query_template, "columns": columns},
            inputs=inputs, outputs={OUTPUT: list[output_schema]},  # type: ignore[valid-type]
            problems=problems, retries=retries, timeout=timeout, cache=cache,
        )
        super().__init__(definition)


def _references(query: str) -> list[str]:
    return [m.group(1) for m in _VARIABLE.finditer(query)]


class SQLitePlugin:
    """The plugin object registered under the ``flowctl.task_types`` entry point ``sqlite``."""

    task_type = TASK_TYPE

    def check(self, spec: TaskSpec, *, source: str) -> list[Diagnostic]:
        query = str(spec.config.get("query_template", ""))
        inputs = {i.name for i in spec.interface.inputs}
        found: list[Diagnostic] = []
        used: set[str] = set()
        for text in _references(query):
            match = _INPUT.match(text)
            if match is None or match.group(1) not in inputs:
                found.append(Diagnostic(
                    f"Unknown template variable `{{{{ .{text} }}}}` in the query of SQLite task `{spec.name}`",
                    f"Use {{{{ .inputs.<name> }}}} with one of: {', '.join(sorted(inputs)) or '(no inputs)'}.", source))
            else:
                used.add(match.group(1))
        for name in sorted(inputs - used - {DATABASE_INPUT}):
            found.append(Diagnostic(f"Input `{name}` of SQLite task `{spec.name}` is not used by its query",
                                    f"Use it as {{{{ .inputs.{name} }}}}, or remove it.", source, severity="warning"))
        database = next((i for i in spec.interface.inputs if i.name == DATABASE_INPUT), None)
        if database is not None and database.type.kind != "file":
            found.append(Diagnostic(f"Input `{DATABASE_INPUT}` of SQLite task `{spec.name}` must be a FlowFile",
                                    f"It is `{database.type}`; it names the SQLite database file.", source))
        problem = _syntax_problem(_VARIABLE.sub("NULL", query)) if query else None
        if problem:
            found.append(Diagnostic(f"The query of SQLite task `{spec.name}` is not valid SQL: {problem}",
                                    "Check keywords, quotes and parentheses.", source))
        return found

    def execute(self, spec: TaskSpec, inputs: dict[str, Json], workdir: Path) -> dict[str, Json]:
        query = _VARIABLE.sub(lambda m: ":" + m.group(1).split(".", 1)[-1], str(spec.config["query_template"]))
        params = {k: v for k, v in inputs.items() if k != DATABASE_INPUT}
        database = inputs.get(DATABASE_INPUT)
        target = f"file:{database}?mode=ro" if database else ":memory:"
        try:
            connection = sqlite3.connect(target, uri=bool(database))
        except sqlite3.Error as exc:
            raise ExecutionError(f"SQLite task `{spec.name}` cannot open {database}: {exc}") from None
        try:
            cursor = connection.execute(query, params)
            names = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise ExecutionError(f"SQLite task `{spec.name}` failed: {type(exc).__name__}: {exc}",
                                 detail=f"Query:\n{query}") from None
        finally:
            connection.close()
        columns = [str(c) for c in spec.config.get("columns") or []]
        missing = [c for c in columns if c not in names]
        if missing:
            raise ExecutionError(f"The result of SQLite task `{spec.name}` has no column {', '.join(missing)}",
                                 detail=f"Columns: {', '.join(names)}; output_schema fields: {', '.join(columns)}.")
        records = [{c: _json(row[names.index(c)]) for c in columns} for row in rows]
        return {OUTPUT: records}


def _syntax_problem(query: str) -> str | None:
    """A syntax error SQLite reports for ``query`` (unknown tables and columns are fine here)."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("EXPLAIN " + query)
    except sqlite3.Error as exc:
        message = str(exc)
        return message if ("syntax error" in message or "incomplete input" in message) else None
    finally:
        connection.close()
    return None


def _json(value: Any) -> Json:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
