"""Names a package exports without importing them (PEP 562): loaded from their module on first use.

``flowctl``, ``flowctl.sdk`` and ``flowctl.spec`` keep start-up and attempts light this way; each maps
a public name to the module that defines it and forwards its ``__getattr__`` here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def resolve(package: str, exports: dict[str, str], namespace: dict[str, Any], name: str) -> Any:
    """``name`` of ``package`` from the module ``exports`` names, cached in the package's ``namespace``."""
    module = exports.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    namespace[name] = value
    return value
