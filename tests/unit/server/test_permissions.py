"""The rule check itself (the full endpoint x role x scope matrix is tests/integration/auth/test_permission_matrix.py)."""

from __future__ import annotations

from flowctl._errors import PermissionDeniedError
from flowctl._roles import Binding
from flowctl.server._operations import Actor, Scope
from flowctl.server._permissions import authorize, rule_for


def test_who_am_i_needs_no_binding_but_everything_else_does() -> None:
    nobody = Actor("token:new", "token", "127.0.0.1", ())
    assert authorize(nobody, "server.info", Scope()) == ()
    for operation, scope in (("project.list", Scope()), ("execution.read", Scope("p", "d")), ("apply.list", Scope())):
        try:
            authorize(nobody, operation, scope)
        except PermissionDeniedError as exc:
            assert exc.facts["identity"] == "token:new"
        else:
            raise AssertionError(f"{operation} allowed without a binding")


def test_listings_get_the_places_to_show() -> None:
    actor = Actor("group:ml", "oidc", "", (Binding("group:ml", "viewer", "a"), Binding("group:ml", "admin", "b", "prod")))
    assert authorize(actor, "execution.list", Scope()) == (("a", None), ("b", "prod"))
    assert authorize(actor, "execution.list", Scope("b")) == (("a", None), ("b", "prod"))
    glob = Actor("token:t", "token", "", (Binding("token:t", "viewer"),))
    assert authorize(glob, "execution.list", Scope()) is None  # everything: no filter


def test_an_operation_without_a_rule_is_denied() -> None:
    try:
        rule_for("nothing.here")
    except PermissionDeniedError as exc:
        assert "Add it to RULES" in exc.render()
    else:
        raise AssertionError("an unknown operation was allowed")
