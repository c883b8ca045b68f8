"""Execution names: random for launches, deterministic for schedule fires and child executions."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from datetime import UTC, datetime

MAX_NAME = 63


def random_name() -> str:
    """``f`` + 19 random lowercase letters and digits (20 characters, like Flyte's)."""
    alphabet = string.ascii_lowercase + string.digits
    return "f" + "".join(secrets.choice(alphabet) for _ in range(19))


def _slug(text: str, limit: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "x"


def scheduled_name(launch_plan: str, fire_time: datetime) -> str:
    """The same launch plan and due time always give the same name (exactly-once firing)."""
    stamp = fire_time.astimezone(UTC).strftime("%Y%m%dt%H%M%S")
    digest = hashlib.sha256(f"{launch_plan}@{fire_time.astimezone(UTC).isoformat()}".encode()).hexdigest()[:6]
    return f"{_slug(launch_plan, MAX_NAME - len(stamp) - 8)}-{stamp}-{digest}"


def child_name(parent: str, node_id: str) -> str:
    """Name of the child execution a launch-plan node starts."""
    digest = hashlib.sha256(f"{parent}/{node_id}".encode()).hexdigest()[:8]
    return f"{_slug(parent, 30)}-{_slug(node_id, MAX_NAME - 40)}-{digest}"
