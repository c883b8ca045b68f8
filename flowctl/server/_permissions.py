"""The one table of who may call what: every operation's action and where its scope comes from.

Every route is bound to one operation (``_operations``); every operation has a :class:`Rule` here
(``tests/unit/server/test_permissions.py`` fails for an operation without one, and generates the
permission matrix from this table). A rule's ``scope`` says how the project/domain is found:

- ``path``: the route names project and domain (``/projects/{project}/domains/{domain}/...``); the
  identity needs the action there;
- ``listing``: the route may name a project (and domain) or none; it needs read access somewhere
  inside what it names, and the operation shows only the places the identity sees
  (``Call.sees``) — a token of project A lists A's executions, never B's;
- ``global``: spans every project (apply history, drift, the audit log): needs a binding on every project;
- ``self``: any identity (who am I, what does this server serve);
- ``each``: the call needs the action somewhere (some binding allows it), and the operation then
  checks every place it touches with :meth:`Call.require` (``authorize_at``) before it changes or
  shows anything: each operation of a store transaction, an execution loaded by id. An operation
  that touches no project (the registry lock, a bundle upload) needs nothing more.

Routes added elsewhere (e.g. the store API for the CLI) add their operations' rules to ``RULES``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from flowctl._errors import PermissionDeniedError
from flowctl._roles import ACTIONS, ROLES, Binding, allows, least_role, role_anywhere_in, role_at

if TYPE_CHECKING:
    from flowctl.server._operations import Actor, Scope

ScopeKind = Literal["path", "listing", "global", "self", "each"]
Places = tuple[tuple[str, str | None], ...] | None  # (project, domain|None) the identity reads; None: all


@dataclass(frozen=True)
class Rule:
    action: str  # one of ACTIONS
    scope: ScopeKind

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, self.action


_READ_PATH, _READ_LIST, _READ_ALL = Rule("read", "path"), Rule("read", "listing"), Rule("read", "global")
RULES: dict[str, Rule] = {
    "server.info": Rule("read", "self"),
    "project.list": _READ_LIST,
    "project.read": _READ_LIST,
    "project.overview": _READ_LIST,
    "activation.list": _READ_LIST,
    "schedule.list": _READ_LIST,
    "entity.list": _READ_PATH,
    "entity.versions": _READ_PATH,
    "entity.read": _READ_PATH,
    "workflow.read": _READ_PATH,
    "launch_plan.read": _READ_PATH,
    "execution.list": _READ_LIST,
    "execution.read": _READ_PATH,
    "execution.node": _READ_PATH,
    "execution.logs": _READ_PATH,
    "execution.watch": _READ_PATH,
    "execution.launch": Rule("operate", "path"),
    "execution.abort": Rule("operate", "path"),
    "execution.relaunch": Rule("operate", "path"),
    "execution.recover": Rule("operate", "path"),
    "launch_plan.activate": Rule("deploy", "path"),
    "launch_plan.deactivate": Rule("deploy", "path"),
    "apply.list": _READ_ALL,
    "apply.read": _READ_ALL,
    "drift.read": _READ_ALL,
    "audit.list": Rule("admin", "global"),
    # The store API (``_store_api``, the CLI through the server): reads are listings filtered to what the
    # caller sees; reads naming a place need read there; writes check each place they touch (``each``).
    **{f"store.{name}": _READ_LIST for name in (
        "snapshot", "entities", "history", "executions", "info", "locks", "execution_find", "execution_list")},
    **{f"store.{name}": _READ_PATH for name in ("entity", "spec", "version", "fires")},
    **{f"store.{name}": Rule("read", "each") for name in (
        "execution_read", "execution_nodes", "execution_attempts", "attempt_log")},
    **{f"store.{name}": Rule("deploy", "each") for name in (
        "transaction", "lock", "lock_heartbeat", "unlock", "bundle_put")},
    "store.approve": Rule("deploy", "path"),  # at the approval's project and target domain
    "store.execution_create": Rule("operate", "path"),
    "store.execution_abort": Rule("operate", "each"),
    "store.break_lock": Rule("admin", "global"),
    # ``_execution_ops``: gates, task reports and backfills for the CLI through the server
    "store.signal": Rule("operate", "path"),  # at the execution's project/domain (the route names them)
    "store.decks": Rule("read", "each"),
    "store.deck": Rule("read", "each"),
    "store.backfill": Rule("operate", "path"),
    "store.backfill_preview": _READ_PATH,
}


def rule_for(operation: str) -> Rule:
    rule = RULES.get(operation)
    if rule is None:  # a programming error, caught by the tests: deny rather than allow
        raise PermissionDeniedError(f"No access rule for operation `{operation}`",
                                    detail="Add it to RULES in flowctl/server/_permissions.py.")
    return rule


def authorize(actor: Actor, operation: str, scope: Scope) -> Places:
    """The places the actor may read for this call (None: everywhere); PermissionDeniedError otherwise."""
    rule = rule_for(operation)
    bindings = actor.bindings
    if rule.scope == "self":  # any authenticated identity, also one without a binding yet
        role: str | None = ROLES[-1]
    elif rule.scope == "global":
        role = role_at([b for b in bindings if b.project is None], None, None)
    elif rule.scope == "each":
        role = role_anywhere_in(bindings, None)
    elif rule.scope == "listing":
        role = role_anywhere_in(bindings, scope.project) if scope.domain is None else role_at(
            bindings, scope.project, scope.domain)
    else:
        role = role_at(bindings, scope.project, scope.domain)
    if role is None or not allows(role, rule.action):
        raise denied(actor, operation, rule, scope, role)
    return visible_places(bindings)


def authorize_at(actor: Actor, operation: str, scope: Scope) -> None:
    """PermissionDeniedError unless the actor has the operation's action at exactly ``scope``.

    What an ``each`` operation asks for every place it touches: ``scope.domain`` None means the whole
    project (a project's settings), ``scope.project`` None every project."""
    rule = rule_for(operation)
    at = Rule(rule.action, "path" if scope.project is not None else "global")
    if scope.project is None:
        role = role_at([b for b in actor.bindings if b.project is None], None, None)
    else:
        role = role_at(actor.bindings, scope.project, scope.domain)
    if role is None or not allows(role, rule.action):
        raise denied(actor, operation, at, scope, role)


def visible_places(bindings: Sequence[Binding]) -> Places:
    """Where the bindings let one read (every role reads): None when one binding covers every project."""
    if any(b.project is None for b in bindings):
        return None
    return tuple(sorted({(b.project, b.domain) for b in bindings if b.project is not None},
                        key=lambda p: (p[0], p[1] or "")))


def denied(actor: Actor, operation: str, rule: Rule, scope: Scope, role: str | None) -> PermissionDeniedError:
    where = "every project" if rule.scope == "global" else "any project" if str(scope) == "*" else str(scope)
    needed = least_role(rule.action)
    has = f"its role there is {role}" if role else "it has no role there"
    project = (f" --project {scope.project}" if scope.project and rule.scope != "global"
               else " --project PROJECT" if where == "any project" else "")
    domain = f" --domain {scope.domain}" if scope.domain and rule.scope != "global" else ""
    error = PermissionDeniedError(
        f"{actor.name} may not {rule.action} on {where}",
        address=where,
        detail=f"`{operation}` needs the {needed} role (or higher) on {where}; {has}. An admin can give it with "
        f"`flowctl role bind {actor.subject} --role {needed}{project}{domain}`.",
    )
    error.facts = {"identity": actor.name, "action": rule.action, "address": where, "required_role": needed}
    return error
