"""Name rules shared by the SDK (checked at declaration) and the registry (checked on write).

- project and domain: DNS-1123 labels (they become the Kubernetes namespace ``{project}-{domain}``,
  which must itself be a label of at most 63 characters);
- entity names (tasks, workflows, launch plans): ``[A-Za-z0-9_.-]``, starting with a letter, a digit
  or ``_``, at most 255 characters;
- versions: ``[A-Za-z0-9_.+-]``, starting with a letter, a digit or ``_``, at most 128 characters.

``check_*`` return the problem as text (or None) so callers can wrap it in their own error type
(the SDK raises ManifestError with a source location); ``validate_*`` raise InputError.
Standard library only: ``import flowctl`` must stay light.
"""

from __future__ import annotations

import re

from flowctl._errors import InputError

DNS_LABEL_MAX = 63
ENTITY_NAME_MAX = 255
VERSION_MAX = 128

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ENTITY_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")

DNS_LABEL_RULE = (
    "lowercase letters, digits and '-', starting and ending with a letter or digit, "
    f"at most {DNS_LABEL_MAX} characters (a DNS-1123 label)"
)
ENTITY_NAME_RULE = (
    "letters, digits, '_', '.' and '-', starting with a letter, digit or '_', "
    f"at most {ENTITY_NAME_MAX} characters"
)
VERSION_RULE = (
    "letters, digits, '_', '.', '+' and '-', starting with a letter, digit or '_', "
    f"at most {VERSION_MAX} characters"
)


def _check(value: str, what: str, pattern: re.Pattern[str], limit: int, rule: str) -> str | None:
    if not isinstance(value, str) or not value or len(value) > limit or not pattern.match(value):
        return f"Invalid {what} `{value}`: use {rule}."
    return None


def check_project_name(name: str) -> str | None:
    return _check(name, "project name", _DNS_LABEL, DNS_LABEL_MAX, DNS_LABEL_RULE)


def check_domain_name(name: str) -> str | None:
    return _check(name, "domain name", _DNS_LABEL, DNS_LABEL_MAX, DNS_LABEL_RULE)


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
    return _check(name, "name", _ENTITY_NAME, ENTITY_NAME_MAX, ENTITY_NAME_RULE)


def check_version(version: str) -> str | None:
    return _check(version, "version", _VERSION, VERSION_MAX, VERSION_RULE)


def _raise(problem: str | None) -> None:
    if problem:
        summary, _, _ = problem.partition(": ")
        raise InputError(summary, detail=problem)


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
