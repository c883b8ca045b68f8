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

from flowctl.sdk import _digest_cache
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
    """A module's normalised source and the text of its top-level definitions by name.

    Made from the module's text (:meth:`parse`) or from what an earlier run kept
    (:meth:`from_entry`, ``_digest_cache``): the same texts either way.
    """

    def __init__(self, normalised: str, texts: list[str | None], defined: list[list[str]],
                 used: list[frozenset[str] | None], tree: list[ast.stmt] | None = None) -> None:
        self.normalised = normalised
        self._texts, self._defined, self._used, self._tree = texts, defined, used, tree  # per definition, in order
        self.defs: dict[str, list[int]] = {}  # name: the statements defining it
        self._functions: dict[str, int] = {}  # name: the last function definition of it
        self._digests: dict[str, str] = {}  # name: its code digest, once made
        for index, names in enumerate(defined):
            for name in names:
                self.defs.setdefault(name, []).append(index)

    @classmethod
    def parse(cls, text: str) -> ModuleSource:
        tree = ast.parse(text)
        _strip_docstrings(tree)
        normalised, spans = _unparse_module(tree)
        stmts, defined = [], []
        for stmt in tree.body:
            names = _defined_names(stmt)
            if names:
                stmts.append(stmt)
                defined.append(names)
        made = cls(normalised, [spans.get(id(stmt)) for stmt in stmts], defined, [None] * len(stmts), stmts)
        made._functions = {stmt.name: i for i, stmt in enumerate(stmts)  # the last one of a name wins, as when run
                           if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)}
        return made

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> ModuleSource | None:
        """The source an entry of ``_digest_cache`` describes; None when it is not one this code wrote."""
        try:
            normalised, statements, functions = entry["normalised"], entry["statements"], entry["functions"]
            digests = entry["digests"]
            if not (isinstance(normalised, str) and isinstance(statements, list) and isinstance(functions, dict)
                    and isinstance(digests, dict) and digests.keys() == functions.keys()
                    and all(isinstance(d, str) for d in digests.values())):
                return None
            texts: list[str | None] = []
            defined: list[list[str]] = []
            used: list[frozenset[str] | None] = []
            for text, names, uses in statements:
                if not (isinstance(text, str) and _strings(names) and _strings(uses)):
                    return None
                texts.append(text)
                defined.append(names)
                used.append(frozenset(uses))
            made = cls(normalised, texts, defined, used)
            for name, index in functions.items():
                if not (isinstance(index, int) and 0 <= index < len(texts) and name in defined[index]):
                    return None
            made._functions, made._digests = dict(functions), dict(digests)
            return made
        except (KeyError, TypeError, ValueError):
            return None

    def entry(self) -> dict[str, Any]:
        """Everything :meth:`from_entry` needs, as JSON."""
        return {"normalised": self.normalised, "functions": self._functions,
                "digests": {name: self.function_digest(name) for name in self._functions},
                "statements": [[self._text(i), names, sorted(self._names_used(i))] for i, names in enumerate(self._defined)]}

    @property
    def digest(self) -> str:
        return sha256_hex(self.normalised)

    def _text(self, index: int) -> str:
        text = self._texts[index]
        if text is None:
            assert self._tree is not None  # a source from an entry has every text
            text = self._texts[index] = ast.unparse(self._tree[index])
        return text

    def _names_used(self, index: int) -> frozenset[str]:
        used = self._used[index]
        if used is None:
            assert self._tree is not None  # a source from an entry has every name
            used = self._used[index] = frozenset(_used_names(self._tree[index]))
        return used

    def function_source(self, name: str) -> str | None:
        index = self._functions.get(name)
        return None if index is None else self._text(index)

    def function_digest(self, name: str) -> str | None:
        """The code digest of the function ``name`` (its text and the whole module's), if the module defines it."""
        digest = self._digests.get(name)
        if digest is None:
            own = self.function_source(name)
            if own is None:
                return None
            digest = self._digests[name] = "sha256:" + sha256_hex(own + "\0" + self.normalised)
        return digest

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
            for index in self.defs[current]:
                parts.append(self._text(index))
                todo.extend(n for n in self._names_used(index) if n not in seen)
        return "\n".join(sorted(parts))


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


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
        data = Path(filename).read_bytes()
    except OSError:
        return None
    file_sha = sha256_hex(data)
    entry = _digest_cache.load(file_sha)
    kept = ModuleSource.from_entry(entry) if entry is not None else None
    if kept is not None:
        return kept
    try:
        text = data.decode("utf-8")
        if "\r" in text:  # what reading the file as text gives: universal newlines
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        source = ModuleSource.parse(text)
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    _digest_cache.store(file_sha, source.entry)
    return source


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
    return source.function_digest(fn.__name__) or "sha256:" + sha256_hex(_code_fallback(fn) + "\0" + source.normalised)


def derived_cache_version(fn: Callable[..., Any], interface_json: str) -> str:
    """A cache version from the function's code, the module definitions it uses, and its interface.

    Editing the task, a helper function or constant of its module it uses, or its signature gives a
    new version; editing an unrelated task of the same module does not. Code imported from other
    modules is not covered: pin ``cache_version`` and bump it when such code changes.
    """
    source = module_source(fn.__code__.co_filename)
    body = source.closure_source(fn.__name__) if source is not None else _code_fallback(fn)
    return "auto-" + sha256_hex(body + "\0" + interface_json)[:16]
