"""Errors and diagnostics: the one exception tree every layer raises from.

::

    FlowctlError                 code, blame ("user" | "system"), diagnostics
    ├── ManifestError            a manifest or decorator is wrong (decoration, loading)
    │   └── CompileError         a workflow or launch plan does not compile
    ├── InputError               a value given for an input is wrong (CLI, launch)
    │   └── NotFoundError        an object named by its address does not exist
    ├── AuthenticationError      no, or no valid, credential (the server answers 401)
    ├── PermissionDeniedError    the identity's roles do not allow the action there (403)
    ├── PlanError                a plan cannot be computed (immutability, breaking change)
    ├── ApplyError               a plan cannot be applied (stale plan, partial failure)
    ├── StoreError               the registry cannot be read or written
    │   ├── NoRegistryError      there is no registry at the URL (a read-only command never makes one)
    │   ├── SchemaVersionError   the registry's schema is not the one this flowctl needs
    │   ├── LockError            the registry lock is held by someone else (or was lost)
    │   └── ImmutabilityError    different content under an existing version
    ├── ProviderError            a provider (local, kubernetes) failed
    ├── WriteError               a file cannot be written (full disk, read-only folder); also an OSError
    └── ExecutionError           a task or workflow run failed (carries the user's traceback)

Every error carries one or more :class:`Diagnostic` (what, where, how to fix). The CLI prints the
diagnostics to stderr and exits non-zero; tracebacks only with ``--debug``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from flowctl._record import field, record
from flowctl._redact import redact

Severity = Literal["error", "warning"]
Blame = Literal["user", "system"]


@record(frozen=True)
class Diagnostic:
    """One problem: ``summary`` says what, ``source``/``address`` say where, ``detail`` how to fix."""

    summary: str
    detail: str = ""
    source: str = ""  # "path/to/file.py:12"; empty when there is no file
    address: str = ""  # an object address such as "proj/dev/task/etl.load@v3"
    severity: Severity = "error"

    def render(self) -> str:
        """Plain text: ``Error: summary`` then where, then the detail."""
        head = f"{self.severity.capitalize()}: {self.summary}"
        where = ", ".join(part for part in (self.source, self.address) if part)
        lines = [head]
        if where:
            lines.append(f"  on {where}")
        if self.detail:
            lines.extend("  " + line for line in self.detail.splitlines())
        return redact("\n".join(lines))  # a URL in a message never shows its password


class FlowctlError(Exception):
    """Root of every error flowctl raises on purpose."""

    code: str = "FlowctlError"
    blame: Blame = "user"

    def __init__(
        self,
        summary: str | None = None,
        *,
        detail: str = "",
        source: str = "",
        address: str = "",
        diagnostics: Iterable[Diagnostic] = (),
    ) -> None:
        diags = list(diagnostics)
        if summary is not None:
            diags.insert(0, Diagnostic(summary, detail, source, address))
        if not diags:
            raise ValueError("a FlowctlError needs a summary or diagnostics")
        self.diagnostics: list[Diagnostic] = diags
        super().__init__(self.render())

    def render(self) -> str:
        return "\n\n".join(d.render() for d in self.diagnostics)


class ManifestError(FlowctlError):
    code = "USER:ManifestError"


class CompileError(ManifestError):
    code = "USER:CompileError"


class InputError(FlowctlError):
    code = "USER:InputError"


class NotFoundError(InputError):
    code = "USER:NotFound"


class AuthenticationError(FlowctlError):
    code = "USER:Unauthenticated"


class PermissionDeniedError(FlowctlError):
    code = "USER:PermissionDenied"
    facts: dict[str, str] = {}


class PlanError(FlowctlError):
    code = "USER:PlanError"


class ApplyError(FlowctlError):
    code = "USER:ApplyError"


class StoreError(FlowctlError):
    code = "SYSTEM:StoreError"
    blame: Blame = "system"


class NoRegistryError(StoreError):
    code = "USER:NoRegistry"
    blame: Blame = "user"


class SchemaVersionError(StoreError):
    code = "USER:SchemaVersion"
    blame: Blame = "user"


class LockError(StoreError):
    code = "USER:LockHeld"
    blame: Blame = "user"


class ImmutabilityError(StoreError):
    code = "USER:ImmutableVersion"
    blame: Blame = "user"


class ProviderError(FlowctlError):
    code = "SYSTEM:ProviderError"
    blame: Blame = "system"


class WriteError(FlowctlError, OSError):
    """A file flowctl writes cannot be written (``flowctl._files.writing``): a full disk, a read-only or
    missing folder. Still an OSError, so callers that retry OS errors (the local provider) keep doing so."""

    code = "SYSTEM:WriteFailed"
    blame: Blame = "system"

    def __str__(self) -> str:  # the diagnostics, as every FlowctlError (not OSError's "[Errno 28] ...")
        return self.render()


class ExecutionError(FlowctlError):
    code = "USER:ExecutionFailed"


class NonRetryable(Exception):
    """Raise this (or a subclass) from a task to fail at once, without using its retries."""


@record
class DiagnosticCollector:
    """Collects problems so that all of them are reported at once (Terraform's ``diags.Append``)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, summary: str, detail: str = "", *, source: str = "", address: str = "") -> None:
        self.diagnostics.append(Diagnostic(summary, detail, source, address))

    def __bool__(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def raise_if_any(self, error_type: type[FlowctlError] = CompileError) -> None:
        if self:
            raise error_type(diagnostics=self.diagnostics)
