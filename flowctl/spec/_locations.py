"""Where a spec was declared (``source``, ``source_line``, ``source_file``) is not its content:
digests, plan diffs and drift compare specs without those keys."""

from __future__ import annotations

from flowctl.spec._canonical import Json

LOCATION_KEYS = frozenset({"source", "source_line", "source_file"})


def strip_locations(value: Json) -> Json:
    """The value without ``source``/``source_line``/``source_file`` keys, at any depth."""
    if isinstance(value, dict):  # scalars are kept without a call: most of a spec's values are scalars
        return {k: strip_locations(v) if isinstance(v, dict | list) else v
                for k, v in value.items() if k not in LOCATION_KEYS}
    if isinstance(value, list):
        return [strip_locations(v) if isinstance(v, dict | list) else v for v in value]
    return value
