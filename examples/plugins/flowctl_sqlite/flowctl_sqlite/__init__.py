"""flowctl-sqlite: the worked example of a task-type plugin (see docs/task-types.md).

``SQLiteTask(name, query_template, inputs, output_schema)`` runs a query on a SQLite database::

    @dataclass
    class Customer:
        name: str
        total: float

    top = SQLiteTask(
        "top_customers",
        query_template="SELECT name, total FROM orders WHERE total >= {{ .inputs.min_total }} ORDER BY total DESC",
        inputs={"database": FlowFile, "min_total": float},
        output_schema=Customer,
    )

``{{ .inputs.x }}`` becomes a bound SQL parameter (``:x``), never text pasted into the query. The
database is the ``FlowFile`` input named ``database`` (opened read-only), or an in-memory
database when there is none. The output ``results`` is a ``list[output_schema]``: one record per
row, columns matched to the schema's fields by name.
"""

from flowctl_sqlite._plugin import TASK_TYPE, SQLitePlugin, SQLiteTask

plugin = SQLitePlugin()  # the object the entry point names

__all__ = ["TASK_TYPE", "SQLitePlugin", "SQLiteTask", "plugin"]
