"""The registry schema version this flowctl needs (no SQLAlchemy: the light read path checks it too)."""

from __future__ import annotations

SCHEMA_HEAD = "0005"  # keep equal to the newest revision in migrations/versions (a test checks it)
CREATE_HINT = "run `flowctl apply` or `flowctl init` to create one"
