"""The local provider: task attempts as processes on this machine.

The names load on first use (PEP 562): an attempt process starts as ``python -m
flowctl.providers.local._child``, which must not import the provider (and the controller's
modules) that started it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowctl.providers.local._provider import LocalProvider, failure_from_document

__all__ = ["LocalProvider", "failure_from_document"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'flowctl.providers.local' has no attribute {name!r}")
    from flowctl.providers.local import _provider

    value = getattr(_provider, name)
    globals()[name] = value
    return value
