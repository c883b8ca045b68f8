"""Digests of the code things are made of: the function's and its module's normalised source.

Sources are normalised before hashing (Hamilton): parsed, docstrings dropped, unparsed, so
comments, blank lines and docstrings never change a digest; code does. Compiling a task needs
these; running an attempt does not (``ast`` is not loaded there).
"""

from __future__ import annotations

import ast
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowctl.spec import sha256_hex

# ---------------------------------------------------------------- normalised sources
_DOC_HOLDERS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _strip_docstrings(node: ast.AST) -> ast.AST:
    """Drop the docstring of the module and of every function and class, in place.

    Definitions only occur in statement blocks, so only those are walked (not expressions).
    """
    for field in _BLOCKS:
        block = getattr(node, field, None)
        if isinstance(block, list):
            for child in block:
                _strip_docstrings(child)
    if isinstance(node, _DOC_HOLDERS):
        body = node.body
        first = body[0] if body else None
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return node


class _SpanUnparser(ast._Unparser):  # type: ignore[name-defined,misc]  # stdlib's private unparser
    """Unparses a module once, remembering the text of each top-level statement.

    ``ast.unparse(stmt)`` of a top-level statement equals its part of ``ast.unparse(module)`` minus
    the leading newlines, so one pass gives the module text and every definition's text.
    """

    def unparse_module(self, tree: ast.Module) -> tuple[str, dict[int, str]]:
        self._source: list[str] = []
        self._type_ignores = {ignore.lineno: f"ignore{ignore.tag}" for ignore in tree.type_ignores}
        spans: dict[int, str] = {}
        for stmt in tree.body:
            start = len(self._source)
            self.traverse(stmt)
            spans[id(stmt)] = "".join(self._source[start:]).lstrip("\n")
        self._type_ignores = {}
        return "".join(self._source), spans


def _unparse_module(tree: ast.Module) -> tuple[str, dict[int, str]]:
    body = tree.body
    first = body[0] if body else None
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):  # a second docstring: unparsed specially; rare
        return ast.unparse(tree), {}
    try:
        return _SpanUnparser().unparse_module(tree)
    except AttributeError:  # the private unparser changed: one pass per definition instead
        return ast.unparse(tree), {}


class ModuleSource:
    """A module's normalised source and its top-level definitions by name."""

    def __init__(self, text: str) -> None:
        tree = ast.parse(text)
        _strip_docstrings(tree)
        self.normalised, self._text = _unparse_module(tree)
        self.digest = sha256_hex(self.normalised)
        self.defs: dict[str, list[ast.stmt]] = {}
        for stmt in tree.body:
            for name in _defined_names(stmt):
                self.defs.setdefault(name, []).append(stmt)

    def source_of(self, stmt: ast.stmt) -> str:
        key = id(stmt)
        if key not in self._text:
            self._text[key] = ast.unparse(stmt)
        return self._text[key]

    def function_source(self, name: str) -> str | None:
        for stmt in reversed(self.defs.get(name, [])):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                return self.source_of(stmt)
        return None

    def closure_source(self, name: str) -> str:
        """The function ``name`` plus every top-level definition of the module it uses, transitively."""
        seen: set[str] = set()
        todo = [name]
        parts: list[str] = []
        while todo:
            current = todo.pop()
            if current in seen or current not in self.defs:
                continue
            seen.add(current)
            for stmt in self.defs[current]:
                parts.append(self.source_of(stmt))
                todo.extend(n for n in _used_names(stmt) if n not in seen)
        return "\n".join(sorted(parts))


def _defined_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id]
    return []


def _used_names(stmt: ast.stmt) -> set[str]:
    return {node.id for node in ast.walk(stmt) if isinstance(node, ast.Name)}


@functools.lru_cache(maxsize=512)
def _module_source_cached(filename: str, mtime_ns: int, size: int) -> ModuleSource | None:
    try:
        text = Path(filename).read_text(encoding="utf-8")
        return ModuleSource(text)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


def module_source(filename: str) -> ModuleSource | None:
    try:
        stat = os.stat(filename)
    except OSError:
        return None
    return _module_source_cached(filename, stat.st_mtime_ns, stat.st_size)


def _code_fallback(fn: Callable[..., Any]) -> str:
    code = fn.__code__
    return sha256_hex(code.co_code + repr(code.co_consts).encode() + repr(code.co_names).encode())


def code_digest(fn: Callable[..., Any]) -> str:
    """sha256 of the normalised source of the function and of its whole module."""
    source = module_source(fn.__code__.co_filename)
    if source is None:
        return "sha256:" + _code_fallback(fn)
    own = source.function_source(fn.__name__) or _code_fallback(fn)
    return "sha256:" + sha256_hex(own + "\0" + source.normalised)


def derived_cache_version(fn: Callable[..., Any], interface_json: str) -> str:
    """A cache version from the function's code, the module definitions it uses, and its interface.

    Editing the task, a helper function or constant of its module it uses, or its signature gives a
    new version; editing an unrelated task of the same module does not. Code imported from other
    modules is not covered: pin ``cache_version`` and bump it when such code changes.
    """
    source = module_source(fn.__code__.co_filename)
    body = source.closure_source(fn.__name__) if source is not None else _code_fallback(fn)
    return "auto-" + sha256_hex(body + "\0" + interface_json)[:16]
