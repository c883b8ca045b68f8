from __future__ import annotations

import re

import pytest

from flowctl._errors import InputError
from flowctl._names import (
    check_entity_name,
    check_execution_name,
    check_labels,
    check_node_id,
    check_project_domain,
    check_project_name,
    check_version,
    entity_problems,
    validate_entity_name,
    validate_execution_name,
    validate_project_domain,
    validate_project_name,
    validate_version,
)


@pytest.mark.parametrize("name", ["my-ml-project", "a", "p1", "a" * 63])
def test_good_project_names(name: str) -> None:
    validate_project_name(name)


@pytest.mark.parametrize("name", ["", "My-Project", "-a", "a-", "a_b", "a.b", "a" * 64, "é"])
def test_bad_project_names_show_the_rule(name: str) -> None:
    with pytest.raises(InputError, match="DNS-1123") as info:
        validate_project_name(name)
    assert f"`{name}`" in str(info.value)


def test_namespace_length() -> None:
    assert check_project_domain("p" * 40, "d" * 22) is None  # 63 with the dash
    problem = check_project_domain("p" * 40, "d" * 23)
    assert problem is not None and "64 characters" in problem and "at most 63" in problem
    with pytest.raises(InputError, match="shorter project or domain"):
        validate_project_domain("p" * 40, "production-eu-west-1-xx")


@pytest.mark.parametrize("name", ["etl.load", "mean", "_private", "Train-Model_2", "x" * 255])
def test_good_entity_names(name: str) -> None:
    validate_entity_name(name)


@pytest.mark.parametrize("name", ["", ".hidden", "-x", "a b", "a/b", "a@b", "x" * 256])
def test_bad_entity_names(name: str) -> None:
    assert check_entity_name(name) is not None
    with pytest.raises(InputError, match=re.escape("letters, digits, '_', '.' and '-'")):
        validate_entity_name(name)


@pytest.mark.parametrize("version", ["v1", "3f2a9c", "1.2.3+build.7", "2024-01-01", "x" * 128])
def test_good_versions(version: str) -> None:
    validate_version(version)


@pytest.mark.parametrize("version", ["", "v 1", "v/1", "+1", "x" * 129, "v1@x"])
def test_bad_versions(version: str) -> None:
    assert check_version(version) is not None
    with pytest.raises(InputError, match="at most 128 characters"):
        validate_version(version)


# ---------------------------------------------------------------- one full-match check for every name
HOSTILE = ["../../x", "/abs", "a\nb", "a\x00b", "x" * 300, "naïve", "a/b", "..", "."]


@pytest.mark.parametrize("check_fn", [check_project_name, check_entity_name, check_version, check_execution_name])
def test_a_trailing_newline_never_passes(check_fn: object) -> None:
    assert callable(check_fn)
    assert check_fn("abc") is None
    assert check_fn("abc\n") is not None  # re.match with `$` accepted this


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_execution_names_are_refused(name: str) -> None:
    with pytest.raises(InputError, match="Invalid execution name") as info:
        validate_execution_name(name)
    assert "\n" not in info.value.diagnostics[0].summary and "\x00" not in str(info.value)


def test_long_names_name_the_limit() -> None:
    problem = check_execution_name("a" * 300)
    assert problem is not None and "300 characters, the limit is 63" in problem
    problem = check_entity_name("L" + "x" * 299)
    assert problem is not None and "300 characters, the limit is 255" in problem


@pytest.mark.parametrize("node", ["n0", "sub/n1", "n2[3]", "n0/n1[2]/n4", "n-1_a.b"])
def test_good_node_ids(node: str) -> None:
    assert check_node_id(node) is None


@pytest.mark.parametrize("node", ["../x", "n0/../..", "/n0", "n0/", "n\n0", "n\x000", "n" * 300, "nö", "n0/."])
def test_bad_node_ids(node: str) -> None:
    assert check_node_id(node) is not None


def test_kubernetes_label_syntax() -> None:
    good = {"team": "ml", "flowctl.io/execution": "f1", "app.kubernetes.io/name": "x_y.z", "empty": ""}
    assert check_labels(good) == []
    bad = {"team name": "x", "a/": "x", "k": "-x", "v": "x" * 64, ("p" * 254) + "/n": "x", "n": "a\nb"}
    problems = check_labels(bad, "launch plan `nightly`")
    assert len(problems) == len(bad) and all("launch plan `nightly`" in p for p in problems)
    assert any("64 characters, the limit is 63" in p for p in problems)


def test_entity_problems_cover_name_version_and_labels() -> None:
    problems = entity_problems("launch plan", "L" * 300, "v1\n", {"bad key": "x"})
    assert len(problems) == 3
    assert "launch plan name" in problems[0] and "the limit is 255" in problems[0]
