"""Deterministic Kubernetes names: the same attempt always gets the same Job name.

A restarted controller renders the name again and finds its Job (a 409 on create means "adopt it")
instead of starting a second one. Names are DNS-1123 labels (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``,
at most 63 characters); long or lossy names end in a hash of the full identity so two attempts never
share a name.
"""

from __future__ import annotations

import hashlib
import re

from flowctl.providers._interface import AttemptRef

MAX_NAME = 63
_HASH_LEN = 10
_INVALID = re.compile(r"[^a-z0-9-]+")
_LABEL_VALUE_INVALID = re.compile(r"[^A-Za-z0-9_.-]+")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns_label(text: str, *, max_len: int = MAX_NAME, identity: str | None = None) -> str:
    """``text`` as a DNS-1123 label; a hash of ``identity`` (default: ``text``) is appended when the
    text had to be shortened or changed, so distinct inputs stay distinct."""
    cleaned = _INVALID.sub("-", text.lower()).strip("-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)
    if cleaned == text and len(cleaned) <= max_len and identity is None and DNS1123_LABEL.match(cleaned):
        return cleaned
    digest = hashlib.sha256((identity if identity is not None else text).encode()).hexdigest()[:_HASH_LEN]
    head = cleaned[: max_len - _HASH_LEN - 1].strip("-")
    return f"{head}-{digest}" if head else f"x{digest}"


def job_name(ref: AttemptRef) -> str:
    """``{execution}-{node}-{attempt}``, hashed when it does not fit or is not a DNS label as is.

    The hash covers project and domain too, but those are already the namespace."""
    plain = f"{ref.execution}-{ref.node}-{ref.attempt}"
    identity = f"{ref.project}/{ref.domain}/{ref.execution}/{ref.node}/{ref.attempt}"
    if len(plain) <= MAX_NAME and DNS1123_LABEL.match(plain):
        return plain
    return dns_label(plain, identity=identity)


def namespace_name(template: str, project: str, domain: str) -> str:
    """The namespace of a project-domain: ``template`` with ``{project}`` and ``{domain}`` filled in."""
    return dns_label(template.format(project=project, domain=domain))


def label_value(text: str) -> str:
    """A valid label value (≤ 63 characters of ``[A-Za-z0-9_.-]``, alphanumeric at both ends)."""
    cleaned = _LABEL_VALUE_INVALID.sub("-", text).strip("-_.")
    if cleaned == text and len(text) <= MAX_NAME:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:_HASH_LEN]
    head = cleaned[: MAX_NAME - _HASH_LEN - 1].strip("-_.")
    return f"{head}-{digest}" if head else digest
