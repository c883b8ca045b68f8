"""Canonical JSON and digests: the identity of every spec."""

from __future__ import annotations

import json
from typing import Any, TypeAlias

Json: TypeAlias = Any  # JSON-compatible value: None, bool, int, float, str, list, dict[str, Json]


def canonical_json(value: Json) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: equal values give equal text (Luigi's task_id_str)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str | bytes) -> str:
    import hashlib  # not at import: OpenSSL's start-up is a few ms that writing JSON does not need

    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def digest_of(value: Json) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + sha256_hex(canonical_json(value))
