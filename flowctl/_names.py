"""Name rules shared by the SDK (checked at declaration), plan, launch and the registry (checked on write).

Every name a user gives goes through :func:`check` (one ``re.fullmatch`` and one length limit per
kind of name) before anything is stored or used as part of a path:

- project and domain: DNS-1123 labels (they become the Kubernetes namespace ``{project}-{domain}``,
  which must itself be a label of at most 63 characters);
- entity names (tasks, workflows, launch plans): ``[A-Za-z0-9_.-]``, starting with a letter, a digit
  or ``_``, at most 255 characters;
- versions: ``[A-Za-z0-9_.+-]``, starting with a letter, a digit or ``_``, at most 128 characters;
- execution names: DNS-1123 labels (at most 63 characters: they are part of blob store paths,
  Kubernetes Job names and label values);
- label keys and values: the Kubernetes label syntax (``[prefix/]name``, name and value at most 63
  characters, prefix a DNS-1123 subdomain of at most 253);
- node ids (as they reach blob store paths): ``/``-separated segments of ``[A-Za-z0-9_.-]`` with an
  optional map index ``[3]``, never ``.`` or ``..``.

``check_*`` return the problem as text (or None) so callers can wrap it in their own error type
(the SDK raises ManifestError with a source location); ``validate_*`` raise InputError.
Standard library only: ``import flowctl`` must stay light.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flowctl._errors import InputError

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
ENTITY_NAME_MAX = 255
VERSION_MAX = 128
EXECUTION_NAME_MAX = DNS_LABEL_MAX
LABEL_NAME_MAX = 63
NODE_ID_MAX = 255

_DNS_LABEL_RULE = (
    "lowercase letters, digits and '-', starting and ending with a letter or digit, "
    f"at most {DNS_LABEL_MAX} characters (a DNS-1123 label)"
)


@dataclass(frozen=True)
class NameRule:
    """What a kind of name may look like: a full-match pattern, a length limit and the rule in words."""

    what: str
    pattern: re.Pattern[str]
    limit: int
    rule: str
    allow_empty: bool = False


_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)"
_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

PROJECT = NameRule("project name", re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"), DNS_LABEL_MAX, _DNS_LABEL_RULE)
DOMAIN = NameRule("domain name", PROJECT.pattern, DNS_LABEL_MAX, _DNS_LABEL_RULE)
ENTITY = NameRule(
    "name", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*"), ENTITY_NAME_MAX,
    f"letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most {ENTITY_NAME_MAX} characters",
)
VERSION = NameRule(
    "version", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*"), VERSION_MAX,
    f"letters, digits, '_', '.', '+' and '-', starting with a letter, digit or '_', at most {VERSION_MAX} characters",
)
EXECUTION = NameRule("execution name", PROJECT.pattern, EXECUTION_NAME_MAX, _DNS_LABEL_RULE)
LABEL_KEY = NameRule(
    "label key", re.compile(rf"({_SUBDOMAIN}/)?{_LABEL_NAME}"), DNS_SUBDOMAIN_MAX + 1 + LABEL_NAME_MAX,
    f"an optional DNS subdomain prefix (at most {DNS_SUBDOMAIN_MAX} characters) and '/', then a name of at most "
    f"{LABEL_NAME_MAX} letters, digits, '-', '_' and '.', starting and ending with a letter or digit "
    "(the Kubernetes label key syntax)",
)
LABEL_VALUE = NameRule(
    "label value", re.compile(_LABEL_NAME), LABEL_NAME_MAX,
    f"at most {LABEL_NAME_MAX} letters, digits, '-', '_' and '.', starting and ending with a letter or digit, "
    "or empty (the Kubernetes label value syntax)", allow_empty=True,
)
NODE_ID = NameRule(
    "node id", re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(\[[0-9]+\])*(/[A-Za-z0-9_][A-Za-z0-9_.-]*(\[[0-9]+\])*)*"),
    NODE_ID_MAX, f"'/'-separated segments of letters, digits, '_', '.' and '-' with an optional [index], "
    f"at most {NODE_ID_MAX} characters",
)

# kept for callers that print the rules
DNS_LABEL_RULE, ENTITY_NAME_RULE, VERSION_RULE = _DNS_LABEL_RULE, ENTITY.rule, VERSION.rule


def _shown(value: object) -> str:
    """The value as it appears in a message: control characters escaped, long values cut."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def check(rule: NameRule, value: object, what: str | None = None, owner: str = "") -> str | None:
    """The one name check: the whole value must match (``re.fullmatch``) and fit the limit.

    The problem reads "Invalid {what} `value` of {owner}: why"; ``what`` defaults to the rule's."""
    head = f"Invalid {what or rule.what} `{_shown(value)}`" + (f" of {owner}" if owner else "")
    if not isinstance(value, str):
        return f"{head}: it must be a string ({rule.rule})."
    if len(value) > rule.limit:
        return f"{head}: it has {len(value)} characters, the limit is {rule.limit} ({rule.rule})."
    if not value and rule.allow_empty:
        return None
    if rule.pattern.fullmatch(value) is None:
        return f"{head}: use {rule.rule}."
    prefix, _, name = value.rpartition("/")
    if rule is LABEL_KEY and (len(name) > LABEL_NAME_MAX or len(prefix) > DNS_SUBDOMAIN_MAX):
        return (f"{head}: the prefix before '/' may have at most {DNS_SUBDOMAIN_MAX} characters and the name "
                f"after it at most {LABEL_NAME_MAX}.")
    return None


def check_project_name(name: str) -> str | None:
    return check(PROJECT, name)


def check_domain_name(name: str) -> str | None:
    return check(DOMAIN, name)


def check_project_domain(project: str, domain: str) -> str | None:
    """Both names, and the namespace ``{project}-{domain}`` they make (at most 63 characters)."""
    problem = check_project_name(project) or check_domain_name(domain)
    if problem:
        return problem
    namespace = f"{project}-{domain}"
    if len(namespace) > DNS_LABEL_MAX:
        return (
            f"Project `{project}` with domain `{domain}` makes the namespace `{namespace}` of "
            f"{len(namespace)} characters: `{{project}}-{{domain}}` must be at most {DNS_LABEL_MAX} "
            "characters (a DNS-1123 label). Use a shorter project or domain name."
        )
    return None


def check_entity_name(name: str) -> str | None:
    return check(ENTITY, name)


def check_version(version: str) -> str | None:
    return check(VERSION, version)


def check_execution_name(name: str) -> str | None:
    return check(EXECUTION, name)


def check_node_id(node_id: str) -> str | None:
    problem = check(NODE_ID, node_id)
    if problem is None and any(part in (".", "..") for part in node_id.split("/")):
        return f"Invalid node id `{_shown(node_id)}`: '.' and '..' are not allowed as segments."
    return problem


def check_labels(labels: Mapping[str, object], owner: str = "") -> list[str]:
    """Every problem of a label mapping (keys and values), each naming ``owner`` when given."""
    problems = []
    for key, value in labels.items():
        problem = check(LABEL_KEY, key, owner=owner) or check(
            LABEL_VALUE, value, owner=f"label `{_shown(key)}`" + (f" of {owner}" if owner else ""))
        if problem:
            problems.append(problem)
    return problems


def entity_problems(kind: str, name: str, version: str | None, labels: Mapping[str, object]) -> list[str]:
    """Every limit the registry and Kubernetes put on a registered entity: name, version, labels.

    Plan runs this on each desired registration, so a name apply (or a Job) would refuse fails
    ``flowctl plan`` with the limit named. ``kind``: "task", "workflow", "launch plan"."""
    owner = f"{kind} `{_shown(name)}`"
    problems = [p for p in (check(ENTITY, name, f"{kind} name"),
                            check(VERSION, version, owner=owner) if version is not None else None) if p]
    return problems + check_labels(labels, owner)


def summary(problem: str) -> str:
    """The first clause of a problem (before ``: ``), for a diagnostic's summary line."""
    return problem.partition(": ")[0]


def _raise(problem: str | None) -> None:
    if problem:
        raise InputError(summary(problem), detail=problem)


def validate_project_name(name: str) -> None:
    _raise(check_project_name(name))


def validate_domain_name(name: str) -> None:
    _raise(check_domain_name(name))


def validate_project_domain(project: str, domain: str) -> None:
    _raise(check_project_domain(project, domain))


def validate_entity_name(name: str) -> None:
    _raise(check_entity_name(name))


def validate_version(version: str) -> None:
    _raise(check_version(version))


def validate_execution_name(name: str) -> None:
    _raise(check_execution_name(name))


def validate_node_id(node_id: str) -> None:
    _raise(check_node_id(node_id))


def validate_labels(labels: Mapping[str, object], owner: str = "") -> None:
    problems = check_labels(labels, owner)
    if problems:
        _raise(problems[0])
