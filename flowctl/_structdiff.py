"""One structural diff of two JSON values (deepdiff), for plans, cluster plans and drift.

Every difference is a leaf at an address: ``spec.resources.cpu``, ``spec.hard["requests.cpu"]``,
``notifications[0].recipients[1]``. A value added or removed as a whole (a new dict, a new list
item) is spelled out leaf by leaf, so ``notifications [] -> [...]`` reads as the fields of the new
notification. Lists are ordered unless their key is named in ``unordered`` (compared as multisets).
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
    """The leaves that differ between ``before`` and ``after``, sorted by address."""
    if before == after:
        return []
    from deepdiff import DeepDiff  # only when something differs: keeps deepdiff off `import flowctl`

    def ignore_order(level: Any) -> bool:
        path = level.path(output_format="list")
        names = [p for p in path if isinstance(p, str)]
        return bool(names) and names[-1] in unordered and not isinstance(path[-1], int)

    tree: Any = DeepDiff(before, after, view="tree", ignore_order_func=ignore_order if unordered else None,
                         report_repetition=False, verbose_level=2, threshold_to_diff_deeper=0)
    changes: dict[str, FieldChange] = {}
    for category in tree:
        for level in tree[category]:
            removed = "removed" in category
            added = "added" in category
            path = tuple(level.path(output_format="list", use_t2=added))
            if category == "type_changes" and (level.t1 is None or level.t2 is None):
                added, removed = level.t1 is None, level.t2 is None  # None <-> a container: spell it out
            if added:
                rows = [(p, None, leaf) for p, leaf in leaves(level.t2, path)]
            elif removed:
                rows = [(p, leaf, None) for p, leaf in leaves(level.t1, path)]
            else:
                rows = [(path, level.t1, level.t2)]
            for parts, was, now in rows:
                key = address(parts)
                changes[key] = FieldChange(key, was, now)
    return [changes[key] for key in sorted(changes)]


def unchanged_count(before: Any, after: Any, changes: Collection[FieldChange]) -> int:
    """How many leaves of ``after`` are the same in ``before`` (for ``# (N unchanged attributes hidden)``)."""
    changed = {c.path for c in changes}
    old = flat(before)
    return sum(1 for key, leaf in flat(after).items() if key not in changed and old.get(key, _ABSENT) == leaf)


_ABSENT = object()
