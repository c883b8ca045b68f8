from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowctl.providers._interface import AttemptRef
from flowctl.providers.kubernetes._names import DNS1123_LABEL, job_name, label_value, namespace_name


def test_short_names_are_kept_as_they_are() -> None:
    assert job_name(AttemptRef("p", "development", "exec-1", "n0", 2)) == "exec-1-n0-2"


def test_long_names_are_hashed_to_63_characters_and_stay_distinct() -> None:
    a = job_name(AttemptRef("p", "d", "e" * 50, "node-" + "x" * 30, 1))
    b = job_name(AttemptRef("p", "d", "e" * 50, "node-" + "x" * 30, 2))
    assert len(a) <= 63 and DNS1123_LABEL.match(a)
    assert a != b


def test_names_are_deterministic_and_cover_project_and_domain_when_hashed() -> None:
    ref = AttemptRef("p", "d", "Exec_1", "sub/n1", 0)
    assert job_name(ref) == job_name(ref)
    assert job_name(ref) != job_name(AttemptRef("p", "other", "Exec_1", "sub/n1", 0))
    assert DNS1123_LABEL.match(job_name(ref))


@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=80), st.integers(0, 1000))
def test_every_job_name_is_a_dns_label(execution: str, node: str, attempt: int) -> None:
    name = job_name(AttemptRef("proj", "dom", execution, node, attempt))
    assert len(name) <= 63
    assert DNS1123_LABEL.match(name), name


def test_namespace_template_and_label_values() -> None:
    assert namespace_name("{project}-{domain}", "ml", "development") == "ml-development"
    assert namespace_name("flowctl-{project}-{domain}", "My_Proj", "dev").startswith("flowctl-my-proj-dev-")
    assert label_value("n0") == "n0"
    long = label_value("a/" * 60)
    assert len(long) <= 63 and long[0].isalnum() and long[-1].isalnum()
