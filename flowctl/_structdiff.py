"""One structural diff of two JSON values (deepdiff), for plans, cluster plans and drift.

Every difference is a leaf at an address: ``spec.resources.cpu``, ``spec.hard["requests.cpu"]``,
``notifications[0].recipients[1]``. A value added or removed as a whole (a new dict, a new list
item) is spelled out leaf by leaf, so ``notifications [] -> [...]`` reads as the fields of the new
notification. Lists are ordered unless their key is named in ``unordered`` (compared as multisets,
by deepdiff).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# Lists of flowctl specs whose order carries no meaning (by key): notifications, their phases and
# recipients, secrets, ignored inputs, a node's upstream and a workflow's dependency lists.
SPEC_UNORDERED = frozenset({
    "notifications", "phases", "recipients", "secret_requests", "ignored_inputs", "upstream",
    "tasks", "subworkflows", "launch_plans",
})


@dataclass(frozen=True)
class FieldChange:
    """One changed leaf: ``before`` is None when it was added, ``after`` None when it was removed."""

    path: str
    before: Any
    after: Any


def address(parts: Iterator[str | int] | list[str | int] | tuple[str | int, ...]) -> str:
    """``["spec", "hard", "requests.cpu"]`` -> ``spec.hard["requests.cpu"]``; ints are ``[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


def leaves(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Leaf paths of nested dicts and lists, in order; empty containers and scalars are leaves."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, (*prefix, str(key)))
    elif isinstance(value, list | tuple) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*prefix, index))
    else:
        yield prefix, value


def flat(value: Any) -> dict[str, Any]:
    """``{address: leaf}`` of ``value``: what a new object sets, one line per field."""
    return {address(path): leaf for path, leaf in leaves(value)}


def structural_diff(before: Any, after: Any, *, unordered: Collection[str] = ()) -> list[FieldChange]:
    """The leaves that differ between ``before`` and ``after``, sorted by address.

    Mappings and ordered lists are walked here, index by index (their diff is unambiguous, and a
    plan computes one per changed version: deepdiff costs some 15 times as much per spec); a list
    named in ``unordered`` that differs is matched by deepdiff (``ignore_order``), which pairs the
    items that changed and tells them from the ones added or removed.
    """
    changes: list[FieldChange] = []
    _walk(before, after, (), frozenset(unordered), changes)
    return sorted(changes, key=lambda c: c.path)


def _walk(before: Any, after: Any, path: tuple[str | int, ...], unordered: frozenset[str],
          out: list[FieldChange]) -> None:
    if type(before) is type(after) and not isinstance(before, Mapping | list | tuple) and before == after:
        return  # containers are walked: ``==`` holds for 1 and True, 1 and 1.0, whose canonical JSON differs
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in before.keys() | after.keys():
            sub = (*path, str(key))
            if key not in after:
                out += (FieldChange(address(p), leaf, None) for p, leaf in leaves(before[key], sub))
            elif key not in before:
                out += (FieldChange(address(p), None, leaf) for p, leaf in leaves(after[key], sub))
            else:
                _walk(before[key], after[key], sub, unordered, out)
        return
    if isinstance(before, list | tuple) and isinstance(after, list | tuple):
        names = [p for p in path if isinstance(p, str)]
        if names and names[-1] in unordered and not isinstance(path[-1], int):
            if _canonical_items(before) != _canonical_items(after):
                out += _unordered(before, after, path)
            return
        for index in range(max(len(before), len(after))):
            sub = (*path, index)
            if index >= len(after):
                out += (FieldChange(address(p), leaf, None) for p, leaf in leaves(before[index], sub))
            elif index >= len(before):
                out += (FieldChange(address(p), None, leaf) for p, leaf in leaves(after[index], sub))
            else:
                _walk(before[index], after[index], sub, unordered, out)
        return
    if before is None and after is not None:  # None -> a container: spell it out
        out += (FieldChange(address(p), None, leaf) for p, leaf in leaves(after, path))
    elif after is None and before is not None:
        out += (FieldChange(address(p), leaf, None) for p, leaf in leaves(before, path))
    else:
        out.append(FieldChange(address(path), before, after))


def _canonical_items(items: list[Any] | tuple[Any, ...]) -> list[str]:
    """A list as a multiset of canonical JSON texts: equal for two lists that differ only in order
    (1, 1.0 and True stay apart), so an unchanged unordered list never reaches deepdiff."""
    return sorted(json.dumps(item, sort_keys=True, separators=(",", ":"), default=str) for item in items)


def _unordered(before: Any, after: Any, path: tuple[str | int, ...]) -> list[FieldChange]:
    """Two lists compared as multisets (deepdiff); addresses of removed items index ``before``."""
    from deepdiff import DeepDiff  # only for an unordered list that differs: keeps deepdiff off the plan path

    tree: Any = DeepDiff(list(before), list(after), view="tree", ignore_order=True, report_repetition=False,
                         verbose_level=2, threshold_to_diff_deeper=0)
    changes: list[FieldChange] = []
    for category in tree:
        for level in tree[category]:
            added = "added" in category
            removed = "removed" in category
            if category == "type_changes" and (level.t1 is None or level.t2 is None):
                added, removed = level.t1 is None, level.t2 is None
            parts = (*path, *level.path(output_format="list", use_t2=added))
            if added:
                changes += (FieldChange(address(p), None, leaf) for p, leaf in leaves(level.t2, parts))
            elif removed:
                changes += (FieldChange(address(p), leaf, None) for p, leaf in leaves(level.t1, parts))
            else:
                changes.append(FieldChange(address(parts), level.t1, level.t2))
    return changes


def unchanged_count(before: Any, after: Any, changes: Collection[FieldChange]) -> int:
    """How many leaves of ``after`` are the same in ``before`` (for ``# (N unchanged attributes hidden)``).

    Every changed or added leaf of ``after`` is one change with an ``after`` value; a leaf set to
    null counts as unchanged here (the count is for the reader, nothing decides on it).
    """
    total = sum(1 for _ in leaves(after))
    return max(0, total - sum(1 for c in changes if c.after is not None))
