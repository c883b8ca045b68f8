"""How role bindings combine: nesting, most specific binding per subject, highest across subjects."""

from __future__ import annotations

from flowctl._roles import ACTIONS, ROLES, Binding, allows, least_role, role_anywhere_in, role_at


def test_roles_nest() -> None:
    assert [a for a in ACTIONS if allows("operator", a)] == ["read", "operate"]
    assert all(allows("admin", a) for a in ACTIONS)
    assert [least_role(a) for a in ACTIONS] == list(ROLES)


def test_global_project_and_domain_bindings() -> None:
    bindings = [Binding("token:t", "deployer", "a"), Binding("token:t", "viewer", "a", "production")]
    assert role_at(bindings, "a", "development") == "deployer"
    assert role_at(bindings, "a", "production") == "viewer"  # production is stricter
    assert role_at(bindings, "a", None) == "deployer"
    assert role_at(bindings, "b", "development") is None
    assert role_at([Binding("group:g", "operator")], "anything", "x") == "operator"
    assert role_at([Binding("token:t", "admin", "a", "dev")], "a", None) is None  # not the whole project


def test_highest_role_across_subjects() -> None:
    bindings = [Binding("group:ml", "deployer", "a"), Binding("group:ml", "viewer", "a", "production"),
                Binding("group:release", "deployer", "a", "production")]
    assert role_at(bindings, "a", "production") == "deployer"
    assert role_anywhere_in(bindings, "a") == "deployer"
    assert role_anywhere_in(bindings, "b") is None
    assert role_anywhere_in([Binding("user:u", "viewer", "b", "dev")], None) == "viewer"

