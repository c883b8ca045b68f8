"""A workflow with the example plugin's SQLiteTask (needs flowctl-sqlite on the path)."""

from __future__ import annotations

from dataclasses import dataclass

from flowctl_sqlite import SQLiteTask

from flowctl import FlowFile, task, workflow


@dataclass
class Order:
    name: str
    total: float


big_orders = SQLiteTask(
    "big_orders",
    query_template="SELECT name, total FROM orders WHERE total >= {{ .inputs.min_total }} ORDER BY total DESC",
    inputs={"database": FlowFile, "min_total": float}, output_schema=Order,
)


@task
def names(orders: list[Order]) -> list[str]:
    return [o.name for o in orders]


@workflow
def top_customers(db: FlowFile, min_total: float) -> list[str]:
    return names(orders=big_orders(database=db, min_total=min_total))
