"""The table of named operations every route goes through (API and console alike).

An operation is a plain function ``fn(services, call, **params)``: ``call`` carries the calling
identity (:class:`Actor`) and the project/domain the operation touches (:class:`Scope`). Routes
never reach the engine or the store themselves; they declare their operation with
``run: Invocation = invoke("execution.abort")`` and call ``run(scope, ...)``. That one choke point
is where access control adds ``authorize(actor, operation, scope)`` and an audit row for writes,
and it lets a test enumerate every route and check it maps to a known operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import Depends, Request

if TYPE_CHECKING:
    from flowctl.server._services import Services

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Actor:
    """Who calls. Without access control every caller is the anonymous local user."""

    name: str = "anonymous"
    kind: str = "local"  # later: "token" | "oidc"
    address: str = ""  # the client's IP address

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


@dataclass(frozen=True)
class Operation:
    name: str  # "<object>.<verb>", e.g. "execution.launch"
    write: bool
    fn: Callable[..., Any]
    summary: str


OPERATIONS: dict[str, Operation] = {}


def operation(name: str, *, write: bool = False) -> Callable[[F], F]:
    """Register ``fn`` as the operation ``name`` (its docstring's first line is the summary)."""

    def decorate(fn: F) -> F:
        if name in OPERATIONS:
            raise ValueError(f"operation {name} is defined twice")
        summary = (fn.__doc__ or name).strip().splitlines()[0]
        OPERATIONS[name] = Operation(name, write, fn, summary)
        return fn

    return decorate


@dataclass(frozen=True)
class Invocation:
    """An operation bound to a request's services and actor."""

    operation: Operation
    services: Services
    actor: Actor

    def __call__(self, scope: Scope, /, **params: Any) -> Any:
        return self.operation.fn(self.services, Call(self.actor, scope), **params)


def actor_of(request: Request) -> Actor:
    return Actor(address=request.client.host if request.client else "")


def invoke(name: str) -> Any:
    """The FastAPI dependency giving a route its one operation (an unknown name fails at import)."""
    spec = OPERATIONS[name]

    def dependency(request: Request) -> Invocation:
        return Invocation(spec, request.app.state.services, actor_of(request))

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
