"""The one structural diff behind plan attributes, cluster plans, drift and immutability errors."""

from __future__ import annotations

import sys

import pytest

from flowctl._structdiff import FieldChange, address, structural_diff, unchanged_count
from flowctl.plans._attrs import attribute_changes
from flowctl.plans.drift._detect import diff_fields


def test_addresses_quote_keys_that_are_not_identifiers() -> None:
    assert address(["spec", "hard", "requests.cpu"]) == 'spec.hard["requests.cpu"]'
    assert address(["notifications", 0, "recipients", 1]) == "notifications[0].recipients[1]"
    assert address([]) == ""


def test_a_new_list_item_is_its_fields_not_the_whole_list() -> None:
    before = {"notifications": []}
    after = {"notifications": [{"kind": "email", "recipients": ["a@x.io"]}]}
    assert structural_diff(before, after) == [
        FieldChange("notifications[0].kind", None, "email"),
        FieldChange("notifications[0].recipients[0]", None, "a@x.io"),
    ]


def test_a_changed_item_of_an_ordered_list_is_addressed_by_index() -> None:
    before = {"spec": {"limits": [{"type": "Container", "default": {"cpu": "1"}}]}}
    after = {"spec": {"limits": [{"type": "Container", "default": {"cpu": "2"}}]}}
    assert structural_diff(before, after) == [FieldChange("spec.limits[0].default.cpu", "1", "2")]


def test_order_matters_unless_the_list_is_declared_unordered() -> None:
    before = {"phases": ["failed", "succeeded"], "inputs": ["a", "b"]}
    after = {"phases": ["succeeded", "failed"], "inputs": ["b", "a"]}
    assert [c.path for c in structural_diff(before, after)] == ["inputs[0]", "inputs[1]", "phases[0]", "phases[1]"]
    assert [c.path for c in structural_diff(before, after, unordered={"phases"})] == ["inputs[0]", "inputs[1]"]
    grown = structural_diff({"phases": ["failed"]}, {"phases": ["succeeded", "failed"]}, unordered={"phases"})
    assert grown == [FieldChange("phases[0]", None, "succeeded")]


def test_removed_dicts_and_none_to_container_are_spelled_out() -> None:
    assert structural_diff({"labels": {"a": "1", "b": "2"}}, {}) == [
        FieldChange("labels.a", "1", None), FieldChange("labels.b", "2", None)]
    assert structural_diff({"schedule": None}, {"schedule": {"cron": "0 * * * *"}}) == [
        FieldChange("schedule.cron", None, "0 * * * *")]


def test_unchanged_leaves_are_counted() -> None:
    before = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]}
    after = {"a": 1, "b": {"c": 2, "d": 4}, "e": [1, 2]}
    changes = structural_diff(before, after)
    assert unchanged_count(before, after, changes) == 4


def test_plan_attributes_and_drift_fields_use_the_same_addresses() -> None:
    before = {"notifications": [], "labels": {"flowctl.io/team": "ml"}}
    after = {"notifications": [{"kind": "slack"}], "labels": {"flowctl.io/team": "ads"}}
    attrs, unchanged = attribute_changes(before, after)
    assert [(a.path, a.before, a.after) for a in attrs] == [
        ('labels["flowctl.io/team"]', "ml", "ads"), ("notifications[0].kind", None, "slack")]
    assert unchanged == 0
    assert diff_fields(before, after) == (
        {'labels["flowctl.io/team"]': "ml", "notifications[0].kind": None},
        {'labels["flowctl.io/team"]': "ads", "notifications[0].kind": "slack"},
    )


def test_a_whole_new_object_is_spelled_out_leaf_by_leaf() -> None:
    after = {"spec": {"hard": {"requests.cpu": "16"}}, "metadata": {"labels": {"a": "b"}}}
    assert structural_diff({}, after) == [
        FieldChange("metadata.labels.a", None, "b"), FieldChange('spec.hard["requests.cpu"]', None, "16")]


def test_a_changed_item_of_an_unordered_list_is_paired_not_removed_and_added() -> None:
    before = {"notifications": [{"kind": "email", "recipients": ["a@x.io"]}, {"kind": "slack", "url": "u1"}]}
    after = {"notifications": [{"kind": "slack", "url": "u2"}, {"kind": "email", "recipients": ["a@x.io"]}]}
    assert structural_diff(before, after, unordered={"notifications"}) == [
        FieldChange("notifications[1].url", "u1", "u2")]


def test_a_value_of_another_type_is_a_change() -> None:
    assert structural_diff({"retries": 1}, {"retries": True}) == [FieldChange("retries", 1, True)]


def test_an_unordered_list_equal_but_for_order_never_reaches_deepdiff(monkeypatch: pytest.MonkeyPatch) -> None:
    """A no-change plan compared every domain's unordered lists with deepdiff: 0.4 s of imports alone."""
    monkeypatch.setitem(sys.modules, "deepdiff", None)  # importing it now raises ImportError
    before = {"notifications": [{"kind": "email", "recipients": ["a@x.io"]}, {"kind": "slack", "url": "u1"}]}
    after = {"notifications": [{"kind": "slack", "url": "u1"}, {"kind": "email", "recipients": ["a@x.io"]}]}
    assert structural_diff(before, after, unordered={"notifications"}) == []
    assert structural_diff({"phases": []}, {"phases": []}, unordered={"phases"}) == []
    with pytest.raises(ImportError):  # a real difference still goes to deepdiff, which pairs the items
        structural_diff({"phases": [1]}, {"phases": [True]}, unordered={"phases"})
