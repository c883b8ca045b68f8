"""The table of named operations every route goes through (API and console alike).

An operation is a plain function ``fn(services, call, **params)``: ``call`` carries the calling
identity (:class:`Actor`) and the project/domain the operation touches (:class:`Scope`). Routes
never reach the engine or the store themselves; they declare their operation with
``run: Invocation = invoke("execution.abort")`` and call ``run(scope, ...)``. That one choke point
is where access control checks the operation's rule (``_permissions.RULES``) for the actor and
the scope before the operation runs, and records an audit row after every write; and it lets a
test enumerate every route and check it maps to a known operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Depends, Request

from flowctl._roles import Binding

if TYPE_CHECKING:
    from flowctl.server._permissions import Places
    from flowctl.server._services import Services

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Actor:
    """Who calls, and the role bindings that apply to them (``_auth`` finds both per request).

    Without access control configured every (loopback) caller is the anonymous local user, admin."""

    name: str = "anonymous"  # "token:ci-prod", "user:alice@example.com", or "anonymous"
    kind: str = "local"  # "local" | "token" | "oidc"
    address: str = ""  # the client's IP address
    bindings: tuple[Binding, ...] = ()

    @property
    def subject(self) -> str:
        """The subject role bindings name (``flowctl role bind SUBJECT``)."""
        return self.name

    @property
    def label(self) -> str:
        """What ``created_by`` records."""
        return f"{self.name}@{self.address}" if self.address else self.name


@dataclass(frozen=True)
class Scope:
    """The project/domain an operation reads or changes; None means every project (or domain)."""

    project: str | None = None
    domain: str | None = None

    def __str__(self) -> str:
        """The address: ``project/domain``, ``project``, or ``*`` (everything)."""
        return "/".join(p for p in (self.project, self.domain) if p) or "*"


@dataclass(frozen=True)
class Call:
    actor: Actor
    scope: Scope
    visible: Places = None  # where the actor may read: listings show only these places
    operation: str = ""  # the operation's name, whose rule ``require`` checks

    def require(self, project: str | None, domain: str | None = None) -> None:
        """403 unless the actor has the operation's action at ``project``/``domain`` (None: the whole
        project; project None: every project). How an ``each`` operation checks each place it touches."""
        from flowctl.server._permissions import authorize_at

        authorize_at(self.actor, self.operation, Scope(project, domain))

    def sees(self, project: str, domain: str | None = None) -> bool:
        """May the actor read ``project``/``domain`` (``domain`` None: anything in ``project``)?"""
        if self.visible is None:
            return True
        return any(p == project and (d is None or domain is None or d == domain) for p, d in self.visible)


AuditOf = Callable[[Scope, dict[str, Any], Any], str]  # (scope, params, result) -> the audit row's address


@dataclass(frozen=True)
class Operation:
    name: str  # "<object>.<verb>", e.g. "execution.launch"
    write: bool
    fn: Callable[..., Any]
    summary: str
    audit: AuditOf | None = None  # the address a write's audit row records; None: ``audit_address``
    audited: bool = True  # False: a write that changes nothing a reader of the audit log looks for


OPERATIONS: dict[str, Operation] = {}


def operation(name: str, *, write: bool = False, audit: AuditOf | None = None,
              audited: bool = True) -> Callable[[F], F]:
    """Register ``fn`` as the operation ``name`` (its docstring's first line is the summary); ``audit``
    gives the address its audit row records when the scope and the object's name do not say what it changed.
    ``audited=False``: a write with no audit row (a lock's heartbeat: its taking and release are the rows)."""

    def decorate(fn: F) -> F:
        if name in OPERATIONS:
            raise ValueError(f"operation {name} is defined twice")
        summary = (fn.__doc__ or name).strip().splitlines()[0]
        OPERATIONS[name] = Operation(name, write, fn, summary, audit, audited)
        return fn

    return decorate


@dataclass(frozen=True)
class Invocation:
    """An operation bound to a request's services and actor."""

    operation: Operation
    services: Services
    actor: Actor

    def __call__(self, scope: Scope, /, **params: Any) -> Any:
        from flowctl.server._permissions import authorize, rule_for

        call = Call(self.actor, scope, authorize(self.actor, self.operation.name, scope), self.operation.name)
        result = self.operation.fn(self.services, call, **params)
        if self.operation.write and self.operation.audited:
            audit = self.operation.audit
            address = audit(scope, params, result) if audit is not None else audit_address(scope, params)
            self.services.auth.record(
                identity=self.actor.name, identity_kind=self.actor.kind, action=rule_for(self.operation.name).action,
                operation=self.operation.name, address=address, client=self.actor.address,
                detail=self.operation.summary)
        return result


def audit_address(scope: Scope, params: dict[str, Any]) -> str:
    """``project/domain/<the object's name>[@version]``: what the audit log says a write changed."""
    name = params.get("name") or params.get("launch_plan") or ""
    version = params.get("version")
    return "/".join(p for p in (str(scope), str(name)) if p) + (f"@{version}" if version else "")


def current_identity(request: Request) -> Actor:
    """The FastAPI dependency of the calling identity (401 without a valid credential)."""
    actor = getattr(request.state, "flowctl_actor", None)
    if actor is None:
        actor = request.app.state.authenticator.identify(request)
        request.state.flowctl_actor = actor
    assert isinstance(actor, Actor)
    return actor


def invoke(name: str) -> Any:
    """The FastAPI dependency giving a route its one operation (an unknown name fails at import)."""
    spec = OPERATIONS[name]

    def dependency(request: Request) -> Invocation:
        actor = current_identity(request)
        from flowctl.server._permissions import RULES, authorize

        rule = RULES.get(name)
        # no scope to wait for (``global``), or the first check of ``each`` (the action somewhere): refuse
        # before the body is read
        if rule is not None and rule.scope in ("global", "each"):
            authorize(actor, name, Scope())
        return Invocation(spec, request.app.state.services, actor)

    dependency.flowctl_operation = name  # type: ignore[attr-defined]  # read by the route table test
    return Depends(dependency)


def flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, also those of included routers (newer FastAPI keeps those as one entry)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from flat_routes(inner.routes)
        else:
            yield route


def route_operations(routes: Iterable[Any]) -> dict[str, list[str]]:
    """``"METHOD path"`` -> the operations its endpoint declares (what the route test checks)."""
    found: dict[str, list[str]] = {}
    for route in flat_routes(routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        names = [getattr(d.call, "flowctl_operation", None) for d in dependant.dependencies]
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            found[f"{method} {route.path}"] = [n for n in names if n]
    return found
