"""Reading JSON and YAML a user typed or pointed at: the one safe parser for values at the boundary.

Whatever the text, the outcome is a plain JSON value (dicts with str keys, lists, str, int,
finite float, bool, None) or an :class:`InputError` that says what is wrong and where: invalid
syntax, NaN or infinite numbers, nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_NODES` values (YAML aliases can multiply a small file), non-JSON YAML types. Never a
RecursionError, never a value the registry's canonical JSON cannot store.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from flowctl._errors import InputError
from flowctl.spec import Json

MAX_DEPTH = 64
MAX_NODES = 1_000_000


class JsonSyntaxError(InputError):
    """The text is not JSON at all (callers may then take it as plain text)."""

    code = "USER:InvalidJson"


class _NonFinite(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _refuse_constant(text: str) -> Any:
    raise _NonFinite(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def non_finite_error(text: str, where: str) -> InputError:
    return InputError(f"{where}: {text} is not a finite number",
                      detail="Inputs are finite numbers: NaN and infinities cannot be stored or compared. "
                      "Give a number such as 1.5 or 1e300.")


def _too_deep(where: str) -> InputError:
    return InputError(f"{where} is nested deeper than {MAX_DEPTH} levels",
                      detail="Flatten the value, or pass a file path or URL input instead of a deep document.")


def load_json_text(text: str, *, where: str) -> Json:
    """``text`` as a JSON value; JsonSyntaxError when it is not JSON, InputError when it is unsafe."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NonFinite as exc:
        raise non_finite_error(exc.text, where) from None
    except RecursionError:
        raise _too_deep(where) from None
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4300 digits
        raise JsonSyntaxError(f"{where} is not valid JSON: {exc}") from None
    return plain_json(value, where=where)


def load_data_file(path: Path, *, what: str = "file") -> Json:
    """A ``.json``, ``.yaml`` or ``.yml`` file as a JSON value (YAML dates become ISO 8601 text)."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"No such {what}: {path}", detail="Give the path of a .json or .yaml file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read {what} {path}: {exc}", detail="Give a readable UTF-8 .json or .yaml file.") from None
    if path.suffix.lower() == ".json":
        try:
            return load_json_text(text, where=where)
        except JsonSyntaxError as exc:
            raise InputError(exc.diagnostics[0].summary, source=where, detail="Fix the JSON syntax.") from None
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"{what.capitalize()} {path} is neither .json nor .yaml",
                         detail="Name the file *.json, *.yaml or *.yml so flowctl knows how to read it.")
    return load_yaml_text(text, where=where)


def load_yaml_text(text: str, *, where: str) -> Json:
    """YAML (or JSON) text as a JSON value, with the checks of :func:`plain_json`."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except RecursionError:
        raise _too_deep(where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        source = f"{where}:{mark.line + 1}" if mark is not None else where
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where} is not valid YAML: {problem}", source=source, detail="Fix the YAML syntax.") from None
    except ValueError as exc:  # a constructor refused a value, e.g. the date 2026-13-01
        raise InputError(f"{where} is not valid YAML: {exc}", source=where,
                         detail="Fix the value, or quote it to keep it as text.") from None
    return plain_json(value, where=where)


def plain_json(value: Any, *, where: str) -> Json:
    """``value`` (from a parser) as plain JSON data, checked for depth, size and finite numbers."""
    budget = [MAX_NODES]
    return _plain(value, where, 1, budget)


def _plain(value: Any, where: str, depth: int, budget: list[int]) -> Json:
    """``depth``: how many lists and mappings hold ``value``, itself included (1 at the top)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(f"{where} holds more than {MAX_NODES} values",
                         detail="YAML anchors and aliases can repeat a part many times; give a smaller document.")
    if depth > MAX_DEPTH and isinstance(value, list | tuple | dict):
        raise _too_deep(where)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise non_finite_error(repr(value), where)
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item, where, depth + 1, budget) for item in value]
    if isinstance(value, dict):
        out: dict[str, Json] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{where}: the key {key!r} is not text",
                                 detail="Keys of mappings are strings; quote the key.")
            out[key] = _plain(item, where, depth + 1, budget)
        return out
    raise InputError(f"{where}: a value of type `{type(value).__name__}` is not JSON data",
                     detail="Use numbers, strings, booleans, null, lists and mappings.")
