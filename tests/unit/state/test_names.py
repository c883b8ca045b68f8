from __future__ import annotations

import re

import pytest

from flowctl._errors import InputError
from flowctl._names import (
    check_entity_name,
    check_project_domain,
    check_version,
    validate_entity_name,
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
